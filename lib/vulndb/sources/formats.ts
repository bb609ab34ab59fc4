/** The vendor document formats `lamina db import` recognises by content, in the order they are tried. */
import { alasUpdateinfoFormat } from './alas';
import { redhatCsafFormat } from './redhat-csaf';
import type { FeedFormat } from './types';

export const FEED_FORMATS: readonly FeedFormat[] = [alasUpdateinfoFormat, redhatCsafFormat];
