/** Warnings listed in a report or a log line; the rest are counted. */
export const SHOWN_WARNINGS = 20;

/** The first `limit` warnings, and a line counting the rest when there are more. */
export function shownWarnings(warnings: readonly string[] | undefined, limit = SHOWN_WARNINGS): string[] {
  const all = warnings ?? [];
  if (all.length <= limit) return [...all];
  return [...all.slice(0, limit), `… and ${all.length - limit} more`];
}
