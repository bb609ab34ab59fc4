export { applyFilters, entryMatches, gate, parseSeverities } from './filter';
export type { FilterOptions, FilterResult, SeveritiesResult } from './filter';
// parseIgnoreFile is in ./ignore-file, loaded when a scan has an ignore file: its YAML parser is the slowest to load.
export type { IgnoreEntry, IgnoreFile } from './ignore-file';
export { explainNote } from './notes';
export { renderSarif } from './sarif';
export { SEVERITIES, severityOf, type Severity } from './severity';
export { renderTable, type TableOptions } from './table';
export type { ReportInput, ReportTool } from './types';
