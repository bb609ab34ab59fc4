import type { StorageEmbeddedVulnerability } from '../../lib/stackrox/types';

/** A StackRox vulnerability with the fields a scan fills in left at their empty values; tests set what they need. */
export function testVulnerability(cve: string, overrides: Partial<StorageEmbeddedVulnerability> = {}): StorageEmbeddedVulnerability {
  return {
    cve,
    cvss: 0,
    summary: '',
    link: `https://nvd.nist.gov/vuln/detail/${cve}`,
    scoreVersion: 'V3',
    cvssV2: null,
    cvssV3: null,
    publishedOn: null,
    lastModified: null,
    vulnerabilityType: 'IMAGE_VULNERABILITY',
    vulnerabilityTypes: ['IMAGE_VULNERABILITY'],
    suppressed: false,
    suppressActivation: null,
    suppressExpiry: null,
    firstSystemOccurrence: null,
    firstImageOccurrence: null,
    severity: 'UNKNOWN_VULNERABILITY_SEVERITY',
    state: 'OBSERVED',
    ...overrides,
  };
}
