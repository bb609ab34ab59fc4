import { componentRiskScore, imageRiskScore, scanCounts, scanHash, severityWeight, topCvss } from '../../lib/stackrox/scores';
import type { StorageEmbeddedImageScanComponent, StorageEmbeddedVulnerability, StorageImage, StorageVulnerabilitySeverity } from '../../lib/stackrox/types';
import { testVulnerability } from '../support/vulnerabilities';

type Severity = 'LOW' | 'MODERATE' | 'IMPORTANT' | 'CRITICAL' | 'UNKNOWN';

function vuln(
  cve: string,
  severity: Severity,
  scoreVersion: 'V2' | 'V3' = 'V3',
  extra: Partial<StorageEmbeddedVulnerability> = {},
): StorageEmbeddedVulnerability {
  return testVulnerability(cve, { cvss: 5, link: '', scoreVersion, severity: `${severity}_VULNERABILITY_SEVERITY` as StorageVulnerabilitySeverity, ...extra });
}

function component(name: string, vulns: StorageEmbeddedVulnerability[] = [], version = '1.0'): StorageEmbeddedImageScanComponent {
  return { name, version, license: null, vulns, layerIndex: 0, priority: '0', source: 'OS', location: '', riskScore: 0, fixedBy: '', executables: [] };
}

function image(components: StorageEmbeddedImageScanComponent[], created: string | null): Pick<StorageImage, 'scan' | 'metadata'> {
  return {
    scan: { scannerVersion: '', scanTime: null, components, operatingSystem: 'debian:12', dataSource: null, notes: [] },
    metadata: {
      v1: { digest: '', created, author: '', layers: [], user: 'root', command: [], entrypoint: [], volumes: [], labels: {} },
      v2: null,
      layerShas: [],
      version: '0',
    },
  };
}

const fillers = (n: number) => Array.from({ length: n }, (_, i) => component(`lib${i}`));
const NOW = new Date('2024-07-19T12:00:00Z');

describe('risk scores', () => {
  it('weighs severities as StackRox does: IMPORTANT is 8.0 under CVSS v3 and 8.5 under v2', () => {
    expect(severityWeight(vuln('a', 'LOW'))).toBe(2.0);
    expect(severityWeight(vuln('a', 'MODERATE'))).toBe(5.5);
    expect(severityWeight(vuln('a', 'IMPORTANT', 'V3'))).toBe(8.0);
    expect(severityWeight(vuln('a', 'IMPORTANT', 'V2'))).toBe(8.5);
    expect(severityWeight(vuln('a', 'CRITICAL'))).toBe(9.5);
    expect(severityWeight(vuln('a', 'UNKNOWN'))).toBe(0);
  });

  it('scores a component by its vulnerabilities alone: 1 + (Σ s²/10)/100·3', () => {
    // 9.5²/10 + 8.5²/10 + 5.5²/10 + 2²/10 = 9.025 + 7.225 + 3.025 + 0.4 = 19.675 → 1 + 0.19675·3 = 1.59025
    const openssl = component('openssl', [
      vuln('CVE-1', 'CRITICAL'),
      vuln('CVE-2', 'IMPORTANT', 'V2'),
      vuln('CVE-3', 'MODERATE'),
      vuln('CVE-4', 'LOW'),
      vuln('CVE-5', 'UNKNOWN'),
    ]);
    expect(componentRiskScore(openssl)).toBeCloseTo(1.59025, 5);
    expect(componentRiskScore(component('zlib1g'))).toBe(0);
    expect(componentRiskScore(component('tzdata', [vuln('CVE-6', 'UNKNOWN')]))).toBe(0);
  });

  it('multiplies vulnerabilities, attacker tools, component count and age for the image', () => {
    const components = [
      component('openssl', [vuln('CVE-1', 'CRITICAL'), vuln('CVE-2', 'IMPORTANT', 'V2'), vuln('CVE-3', 'MODERATE'), vuln('CVE-4', 'LOW')]),
      component('zlib1g', [vuln('CVE-5', 'IMPORTANT')]),
      component('bash'),
      component('curl'),
      ...fillers(8),
    ];
    // vulnerabilities: Σ = 19.675 + 6.4 = 26.075 → 1.78225; bash+curl → 1 + 2/20 = 1.1;
    // 12 components → 1 + 2/20 = 1.1; 200 days old → 1 + 110/360 = 1.30556
    const score = imageRiskScore(image(components, '2024-01-01T00:00:00Z'), NOW);
    expect(score).toBeCloseTo(1.78225 * 1.1 * 1.1 * (1 + 110 / 360), 4);
    expect(score).toBeCloseTo(2.81546, 4);
  });

  it('caps each multiplier: vulnerabilities at 4, the others at 1.5', () => {
    const criticals = Array.from({ length: 12 }, (_, i) => vuln(`CVE-${i}`, 'CRITICAL'));
    const risky = ['apk', 'apt', 'bash', 'curl', 'dnf', 'netcat', 'nmap', 'rpm', 'sh', 'tcsh', 'telnet', 'wget', 'yum'].map((n) => component(n));
    const components = [component('glibc', criticals), ...risky, ...fillers(20)];
    expect(imageRiskScore(image(components, '2020-01-01T00:00:00Z'), NOW)).toBe(4 * 1.5 * 1.5 * 1.5);
    expect(componentRiskScore(components[0])).toBe(4);
  });

  it('is 0 when no multiplier applies, and leaves out what does not apply', () => {
    expect(imageRiskScore(image([component('zlib1g')], '2024-07-01T00:00:00Z'), NOW)).toBe(0);
    expect(imageRiskScore(image([component('tzdata', [vuln('CVE-1', 'UNKNOWN')])], null), NOW)).toBe(0);
    // 90 days old exactly: the age multiplier applies at 1.0
    expect(imageRiskScore(image([component('zlib1g')], '2024-04-20T12:00:00Z'), NOW)).toBe(1);
    // Go's zero time means no creation time
    expect(imageRiskScore(image([component('bash')], '0001-01-01T00:00:00Z'), NOW)).toBeCloseTo(1.05, 6);
    // 9 distinct components do not count; the same name and version twice is one component
    expect(imageRiskScore(image([...fillers(9), component('lib0')], null), NOW)).toBe(0);
    expect(imageRiskScore(image([...fillers(9), component('lib0', [], '2.0')], null), NOW)).toBe(1);
  });
});

describe('scan counts', () => {
  it('counts unique CVE ids, unique fixable ones, and the top CVSS', () => {
    const components = [
      component('libssl3', [
        vuln('CVE-2024-0727', 'LOW', 'V3', { cvss: 5.5, fixedBy: '3.0.13-1~deb12u1' }),
        vuln('CVE-2023-5678', 'MODERATE', 'V3', { cvss: 5.3 }),
      ]),
      component('openssl', [
        vuln('CVE-2024-0727', 'LOW', 'V3', { cvss: 5.5 }),
        vuln('CVE-2023-6129', 'MODERATE', 'V3', { cvss: Math.fround(6.5), fixedBy: '' }),
      ]),
      component('zlib1g'),
    ];
    expect(scanCounts(components)).toEqual({ components: 3, cves: 3, fixableCves: 1, topCvss: Math.fround(6.5) });
  });

  it('sets fixableCves with no vulnerabilities, and leaves it out when no vulnerability says whether it has a fix', () => {
    expect(scanCounts([component('zlib1g')])).toEqual({ components: 1, cves: 0, fixableCves: 0 });
    expect(scanCounts([component('zlib1g', [vuln('CVE-1', 'LOW', 'V3', { cvss: 0 })])])).toEqual({ components: 1, cves: 1, topCvss: 0 });
    expect(scanCounts([])).toEqual({ components: 0, cves: 0, fixableCves: 0 });
  });

  it('top CVSS is absent without vulnerabilities', () => {
    expect(topCvss([])).toBeUndefined();
    expect(topCvss([{ cvss: 3.1 }, { cvss: 9.8 }])).toBe(Math.fround(9.8));
  });
});

describe('scan hash', () => {
  const set = [
    component('libc6', [], '2.36-9+deb12u7'),
    component('bash', [], '5.2.15-2+b7'),
    { ...component('express', [], '4.19.2'), source: 'NODEJS' as const, location: 'app/node_modules/express/package.json' },
  ];

  it('is a uint64 decimal string that ignores order and duplicates', () => {
    const hash = scanHash(set);
    expect(hash).toMatch(/^\d+$/);
    expect(BigInt(hash)).toBeLessThan(1n << 64n);
    expect(scanHash([...set].reverse())).toBe(hash);
    expect(scanHash([...set, set[0]])).toBe(hash);
  });

  it('changes when a component changes', () => {
    const hash = scanHash(set);
    expect(scanHash([component('libc6', [], '2.36-9+deb12u8'), set[1], set[2]])).not.toBe(hash);
    expect(scanHash([set[0], set[1], { ...set[2], location: 'other/package.json' }])).not.toBe(hash);
    expect(scanHash(set.slice(1))).not.toBe(hash);
    expect(scanHash([])).toBe('0');
  });
});
