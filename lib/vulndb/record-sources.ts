/**
 * The names of lamina's vendor-feed sources (./sources), which each writes as `database_specific.source` on the
 * records it converts: osv.dev has no page for those. Kept apart from the sources, so the scan path can tell such a
 * record without loading any source.
 */
export const RECORD_SOURCES = {
  alas: 'alas',
  azureOval: 'azure-oval',
  fedoraBodhi: 'fedora-bodhi',
  oracleOval: 'oracle-oval',
  redhatCsaf: 'redhat-csaf',
  suseCsaf: 'suse-csaf',
} as const;

export const VENDOR_FEED_SOURCES: ReadonlySet<string> = new Set(Object.values(RECORD_SOURCES));
