/** What every report format is rendered from: one scanned image, its inventory and its findings, in neutral terms. */
import type { Inventory } from '../index/types';
import type { SbomImage } from '../sbom/types';
import type { Finding } from '../vulndb/findings';

export interface ReportTool {
  name: string;
  version: string;
  /** Where to read about the tool (SARIF `tool.driver.informationUri`); left out of SARIF when absent. */
  informationUri?: string;
}

export interface ReportInput {
  image: SbomImage;
  inventory: Inventory;
  /** The findings to report, already filtered (see applyFilters); `packageIndex` points into `inventory.packages`. */
  findings: Finding[];
  /** Scan notes in StackRox's names: OS_UNAVAILABLE, OS_CVES_UNAVAILABLE, LANGUAGE_CVES_UNAVAILABLE, PARTIAL_SCAN_DATA… */
  notes: string[];
  /** `<ID>:<VERSION_ID>` as formatOperatingSystem gives it (`debian:12`, `alpine:v3.18`), `unknown` when none was found. */
  operatingSystem: string;
  tool: ReportTool;
  /** Language ecosystems without advisories (MatchResult.languageAdvisoriesUnavailable), named when notes explain LANGUAGE_CVES_UNAVAILABLE. */
  languageAdvisoriesUnavailable?: string[];
  /** The signature verdict, one line per integration (`VERIFIED by key.pub for <refs>`); absent when none was asked for. */
  signatures?: string[];
  /**
   * What the scan could not read or match, one line each: the indexing warnings (a file that could not be parsed, an
   * archive past a limit), then the matcher's (an advisory whose versions could not be ordered, data borrowed from
   * another distribution). Shown by the table and SARIF; capped by {@link shownWarnings}.
   */
  warnings?: string[];
}
