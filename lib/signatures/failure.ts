/** Why one signature did not verify, with the StackRox status that says so. */
import type { StorageImageSignatureVerificationResultStatus } from '../stackrox/types';

export type FailureStatus = Exclude<StorageImageSignatureVerificationResultStatus, 'UNSET' | 'VERIFIED'>;

export class Failure extends Error {
  constructor(
    readonly status: FailureStatus,
    message: string,
  ) {
    super(message);
  }
}
