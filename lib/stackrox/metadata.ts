/** `StorageImage.metadata` from a resolved image: manifest digests and the config blob, as StackRox's registry code builds it. */
import type { ImageConfig, ResolvedImage } from '../image/types';
import { type HistoryEntry, historyIndexForLayer, historyOf } from '../image/history';
import { timestampOrNull } from './protojson';

export { historyIndexForLayer };
import type { StorageDataSource, StorageImageLayer, StorageImageMetadata, StorageV1Metadata } from './types';

/** StackRox's metadata format version (pkg/images/enricher: metadataVersion). */
const METADATA_VERSION = '0';

const DOCKERFILE_INSTRUCTIONS = [
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
];

/** Shell wrappers the classic builder puts in front of `created_by`, removed in this order. */
const SCRUB_PREFIXES = ['/bin/sh -c #(nop)', '/bin/sh -c '];

/**
 * Splits a history `created_by` line into Dockerfile instruction and value: `/bin/sh -c #(nop)  CMD ["bash"]` →
 * `CMD`, `["bash"]`; `/bin/sh -c apt-get update` → `RUN`, `apt-get update`; buildkit's `RUN /bin/sh -c make # buildkit`
 * → `RUN`, `/bin/sh -c make # buildkit`. A keyword counts only as a whole word.
 */
export function instructionOf(createdBy: string): { instruction: string; value: string } {
  let line = createdBy.trim();
  for (const prefix of SCRUB_PREFIXES) if (line.startsWith(prefix)) line = line.slice(prefix.length);
  line = line.trim();
  for (const keyword of DOCKERFILE_INSTRUCTIONS) {
    if (line === keyword) return { instruction: keyword, value: '' };
    if (line.startsWith(keyword) && /\s/.test(line[keyword.length])) {
      return { instruction: keyword, value: line.slice(keyword.length).trim() };
    }
  }
  return { instruction: 'RUN', value: line };
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function layerFromHistory(entry: HistoryEntry, now: string): StorageImageLayer {
  const { instruction, value } = instructionOf(stringOr(entry.created_by, ''));
  return {
    instruction,
    value,
    created: timestampOrNull(stringOr(entry.created, '')) ?? now,
    author: stringOr(entry.author, ''),
    empty: entry.empty_layer === true,
  };
}

function labelsOf(labels: unknown): Record<string, string> {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') out[key] = value;
  return out;
}

function volumesOf(volumes: unknown): string[] {
  if (volumes === null || typeof volumes !== 'object' || Array.isArray(volumes)) return [];
  return Object.keys(volumes);
}

function v1Metadata(resolved: ResolvedImage, now: string): StorageV1Metadata {
  const config: ImageConfig = resolved.config ?? {};
  const runConfig = config.config ?? {};
  const created = timestampOrNull(stringOr(config.created, '')) ?? now;
  const history = historyOf(config);
  // Without history (some non-Docker builders), one entry per layer keeps component layerIndex meaningful.
  const layers =
    history.length > 0
      ? history.map((entry) => layerFromHistory(entry, now))
      : resolved.manifest.layers.map(() => ({ instruction: '', value: '', created, author: stringOr(config.author, ''), empty: false }));
  return {
    digest: resolved.configDigest,
    created,
    author: history.length > 0 ? layers[layers.length - 1].author : stringOr(config.author, ''),
    layers,
    user: stringOr(runConfig.User, '') || 'root',
    command: stringList(runConfig.Cmd),
    entrypoint: stringList(runConfig.Entrypoint),
    volumes: volumesOf(runConfig.Volumes),
    labels: labelsOf(runConfig.Labels),
  };
}

/**
 * The image's metadata: v2 = the manifest digest, layerShas = layer digests oldest first, v1 from the config blob
 * (digest, created or now, author of the last history entry, user or `root`, Cmd, Entrypoint, volume paths, labels,
 * and one layer per history entry, empty ones included).
 */
export function buildMetadata(resolved: ResolvedImage, now: Date, dataSource?: StorageDataSource): StorageImageMetadata {
  const nowText = timestampOrNull(now) ?? new Date().toISOString();
  return {
    v1: v1Metadata(resolved, nowText),
    v2: { digest: resolved.manifestDigest },
    layerShas: resolved.manifest.layers.map((layer) => layer.digest),
    dataSource: dataSource ? { id: dataSource.id, name: dataSource.name, mirror: dataSource.mirror ?? '' } : null,
    version: METADATA_VERSION,
  };
}
