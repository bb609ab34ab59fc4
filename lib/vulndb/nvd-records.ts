import { isCveId } from './cve-id';
import type { CvssRecord } from './store';

interface NvdMetric {
  source?: string;
  type?: string;
  cvssData?: { version?: string; vectorString?: string };
}

interface NvdCve {
  id?: unknown;
  published?: unknown;
  lastModified?: unknown;
  metrics?: Record<string, NvdMetric[] | undefined>;
}

export interface CvssEntry {
  cveId: string;
  cvss: CvssRecord;
}

export interface NvdResponse {
  totalResults?: unknown;
  vulnerabilities: Array<{ cve?: NvdCve }>;
}

/** An NVD CVE API 2.0 response: `{resultsPerPage, vulnerabilities: [{cve: {...}}]}`. */
export function isNvdResponse(value: unknown): value is NvdResponse {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return 'resultsPerPage' in v && Array.isArray(v.vulnerabilities);
}

/** NVD's own score first ("Primary"), then whatever a CNA supplied. */
function preferredVector(metrics: NvdMetric[] | undefined): string | undefined {
  if (!metrics?.length) return undefined;
  const primary = metrics.find((m) => m.type === 'Primary') ?? metrics[0];
  const vector = primary.cvssData?.vectorString;
  return typeof vector === 'string' && vector !== '' ? vector : undefined;
}

/** The CVSS vectors of every CVE in an NVD API 2.0 response; CVEs without an id or any vector are left out. */
export function cvssFromNvdResponse(response: NvdResponse): CvssEntry[] {
  const entries: CvssEntry[] = [];
  for (const { cve } of response.vulnerabilities) {
    if (!cve || typeof cve.id !== 'string' || !isCveId(cve.id)) continue;
    const metrics = cve.metrics ?? {};
    const v31 = preferredVector(metrics.cvssMetricV31);
    const v3 = v31 ?? preferredVector(metrics.cvssMetricV30);
    const v2 = preferredVector(metrics.cvssMetricV2);
    if (!v3 && !v2) continue;
    const cvss: CvssRecord = {};
    if (v3) {
      cvss.v3Vector = v3;
      cvss.v31 = v3.startsWith('CVSS:3.1/');
    }
    if (v2) cvss.v2Vector = v2;
    if (typeof cve.published === 'string') cvss.published = cve.published;
    if (typeof cve.lastModified === 'string') cvss.lastModified = cve.lastModified;
    entries.push({ cveId: cve.id, cvss });
  }
  return entries;
}
