export { applyFilters, entryMatches, gate, parseIgnoreFile, parseSeverities } from './filter';
export type { FilterOptions, FilterResult, IgnoreEntry, IgnoreFile, SeveritiesResult } from './filter';
export { explainNote } from './notes';
export { renderSarif } from './sarif';
export { SEVERITIES, severityOf, type Severity } from './severity';
export { renderTable, type TableOptions } from './table';
export type { ReportInput, ReportTool } from './types';
