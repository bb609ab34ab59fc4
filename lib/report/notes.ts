/** Scan notes in words: what each means for the report and what to do about it. */
import type { ReportInput } from './types';

const UPDATE = 'run `lamina db update`';

/** One sentence for a scan note; an unknown note is returned as it is. */
export function explainNote(note: string, input: Pick<ReportInput, 'operatingSystem' | 'inventory' | 'languageAdvisoriesUnavailable'>): string {
  const os = input.operatingSystem && input.operatingSystem !== 'unknown' ? input.operatingSystem : undefined;
  switch (note) {
    case 'OS_UNAVAILABLE':
      return 'the operating system could not be identified (no os-release file), so OS packages were not matched against advisories';
    case 'OS_CVES_UNAVAILABLE':
      return os
        ? `no advisories for ${os} are loaded, so OS packages were not checked; ${UPDATE}`
        : `no advisories for the image's operating system are loaded, so OS packages were not checked; ${UPDATE}`;
    case 'OS_CVES_STALE':
      return `the advisories for ${os ?? "the image's operating system"} are out of date; ${UPDATE}`;
    case 'LANGUAGE_CVES_UNAVAILABLE': {
      const ecosystems = input.languageAdvisoriesUnavailable ?? [];
      const which = ecosystems.length > 0 ? ` (${ecosystems.join(', ')})` : '';
      return `no advisories are loaded for some language ecosystems of the image${which}, so those packages were not checked; ${UPDATE}`;
    }
    case 'PARTIAL_SCAN_DATA': {
      const warnings = input.inventory.warnings.length;
      const detail = warnings > 0 ? ` (${warnings} indexing warning${warnings === 1 ? '' : 's'})` : '';
      return `part of the image could not be read or matched${detail}; the results may be incomplete`;
    }
    case 'CERTIFIED_RHEL_SCAN_UNAVAILABLE':
      return "Red Hat's certified content data is unavailable; RHEL packages were matched by name and version only";
    default:
      return note;
  }
}

/** Notes that mean some packages were not checked, so "no vulnerabilities" does not mean a clean image. */
export const INCOMPLETE_NOTES: ReadonlySet<string> = new Set([
  'OS_UNAVAILABLE',
  'OS_CVES_UNAVAILABLE',
  'OS_CVES_STALE',
  'LANGUAGE_CVES_UNAVAILABLE',
  'PARTIAL_SCAN_DATA',
]);

/** Distinct notes, UNSET left out, in the order given. */
export function distinctNotes(notes: readonly string[]): string[] {
  return [...new Set(notes.filter((note) => note && note !== 'UNSET'))];
}
