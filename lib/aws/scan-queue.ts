import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AppLogger } from '../logging';
import type { ImageService } from '../service/image-service';
import { GrpcCode, asCodedError } from '../errors';
import type { V1ScanImageRequest } from '../stackrox/types';
import type { DeferredScanMessage } from './compose-aws';

/** The EventBridge event ECR emits for a push (detail-type `ECR Image Action`). */
export interface EcrImageActionEvent {
  'detail-type': 'ECR Image Action';
  source: 'aws.ecr';
  account: string;
  region: string;
  detail: {
    result: string;
    'repository-name': string;
    'image-digest': string;
    'action-type': string;
    'image-tag'?: string;
  };
}

/** Failures worth another delivery: the registry or a dependency was unavailable, or the scan ran out of time. */
const RETRYABLE = new Set([GrpcCode.Unavailable, GrpcCode.DeadlineExceeded, GrpcCode.Internal, GrpcCode.ResourceExhausted, GrpcCode.Unknown, GrpcCode.Aborted]);

/** Turns one queue message into the scan it asks for, or undefined for a message that is not ours. */
export function scanRequestFromMessage(body: string): V1ScanImageRequest | undefined {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  const deferred = message as Partial<DeferredScanMessage>;
  if (deferred?.kind === 'lamina.deferred-scan' && typeof deferred.request?.imageName === 'string') return deferred.request;
  const push = message as Partial<EcrImageActionEvent>;
  if (push?.source === 'aws.ecr' && push['detail-type'] === 'ECR Image Action' && push.detail) {
    const { detail, account, region } = push;
    if (detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS' || !detail['image-digest'] || !detail['repository-name']) return undefined;
    const tag = detail['image-tag'] ? `:${detail['image-tag']}` : '';
    const host = `${account}.dkr.ecr.${region}.amazonaws.com${region?.startsWith('cn-') ? '.cn' : ''}`;
    return { imageName: `${host}/${detail['repository-name']}${tag}@${detail['image-digest']}`, force: false, includeSnoozed: true, cluster: '' };
  }
  return undefined;
}

/**
 * Scans each message's image once. A digest already stored is answered from the store, and concurrent
 * deliveries share one scan through the service's leases, so duplicate or racing events scan once.
 */
export async function processScanQueue(event: SQSEvent, service: ImageService, logger: AppLogger): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record: SQSRecord) => {
      const request = scanRequestFromMessage(record.body);
      if (!request) {
        logger.warn('ignoring a message that is neither an ECR push nor a deferred scan', { messageId: record.messageId });
        return;
      }
      try {
        const image = await service.scanImage(request);
        logger.info('scanned', { image: request.imageName, id: image.id, components: image.components });
      } catch (err) {
        const error = asCodedError(err);
        if (RETRYABLE.has(error.code)) {
          logger.error('scan failed, will retry', { image: request.imageName, code: error.code, message: error.message });
          failures.push({ itemIdentifier: record.messageId });
        } else {
          logger.warn('scan refused, not retrying', { image: request.imageName, code: error.code, message: error.message });
        }
      }
    }),
  );
  return { batchItemFailures: failures };
}
