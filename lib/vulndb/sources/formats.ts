/** The vendor document formats `lamina db import` recognises by content, in the order they are tried. */
import { alasUpdateinfoFormat } from './alas';
import { azureOvalFormat } from './azure-oval';
import { bodhiUpdatesFormat } from './fedora-bodhi-records';
import { oracleOvalFormat } from './oracle-oval';
import { redhatCsafFormat } from './redhat-csaf';
import { suseCsafFormat } from './suse-csaf';
import type { FeedFormat } from './types';

export const FEED_FORMATS: readonly FeedFormat[] = [
  alasUpdateinfoFormat,
  redhatCsafFormat,
  suseCsafFormat,
  azureOvalFormat,
  oracleOvalFormat,
  bodhiUpdatesFormat,
];
