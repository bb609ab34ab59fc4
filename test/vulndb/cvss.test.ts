import { readdirSync, readFileSync } from 'node:fs';
import { parseCvssV2, parseCvssV3, v2Severity, v3Severity } from '../../lib/vulndb/cvss';
import { advisoryFixture, describeWithShared } from '../support/shared-fixtures';

interface NvdMetric {
  cvssData: { version: string; vectorString: string; baseScore: number; baseSeverity?: string };
  exploitabilityScore: number;
  impactScore: number;
}

describeWithShared('CVSS scores against the ones NVD published', () => {
  const dir = advisoryFixture('nvd/api-2.0');
  const metrics: NvdMetric[] = [];
  for (const file of readdirSync(dir)) {
    const response = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
    for (const { cve } of response.vulnerabilities) {
      for (const key of ['cvssMetricV31', 'cvssMetricV30', 'cvssMetricV2']) metrics.push(...(cve.metrics?.[key] ?? []));
    }
  }

  it('finds vectors of every version in the NVD fixtures', () => {
    expect(new Set(metrics.map((m) => m.cvssData.version))).toEqual(new Set(['3.1', '3.0', '2.0']));
  });

  it.each(metrics.map((m) => [m.cvssData.vectorString, m] as const))('%s scores as NVD says', (vector, metric) => {
    const parsed = metric.cvssData.version === '2.0' ? parseCvssV2(vector) : parseCvssV3(vector);
    expect(parsed).toBeDefined();
    expect(parsed!.score).toBeCloseTo(metric.cvssData.baseScore, 5);
    expect(parsed!.exploitabilityScore).toBeCloseTo(metric.exploitabilityScore, 5);
    expect(parsed!.impactScore).toBeCloseTo(metric.impactScore, 5);
    if (metric.cvssData.baseSeverity) expect(parsed!.severity).toBe(metric.cvssData.baseSeverity);
  });
});

describe('CVSS vectors', () => {
  it('breaks a v3.1 vector into StackRox metrics', () => {
    expect(parseCvssV3('CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:C/C:H/I:L/A:N')).toEqual({
      vector: 'CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:C/C:H/I:L/A:N',
      exploitabilityScore: 1.3,
      impactScore: 4.7,
      attackVector: 'ATTACK_NETWORK',
      attackComplexity: 'COMPLEXITY_HIGH',
      privilegesRequired: 'PRIVILEGE_LOW',
      userInteraction: 'UI_REQUIRED',
      scope: 'CHANGED',
      confidentiality: 'IMPACT_HIGH',
      integrity: 'IMPACT_LOW',
      availability: 'IMPACT_NONE',
      // scope changed: roundup(1.08 × (4.717 impact + 1.296 exploitability)) = 6.5
      score: 6.5,
      severity: 'MEDIUM',
    });
  });

  it('breaks a v2 vector into StackRox metrics, with or without parentheses', () => {
    const parsed = parseCvssV2('(AV:L/AC:M/Au:S/C:C/I:P/A:N)');
    expect(parsed).toMatchObject({
      vector: 'AV:L/AC:M/Au:S/C:C/I:P/A:N',
      attackVector: 'ATTACK_LOCAL',
      accessComplexity: 'ACCESS_MEDIUM',
      authentication: 'AUTH_SINGLE',
      confidentiality: 'IMPACT_COMPLETE',
      integrity: 'IMPACT_PARTIAL',
      availability: 'IMPACT_NONE',
      // 20×0.395×0.61×0.56 = 2.70 exploitability, 7.84 impact → ((0.6×7.84)+(0.4×2.70)−1.5)×1.176 = 5.0
      exploitabilityScore: 2.7,
      score: 5,
      severity: 'MEDIUM',
    });
  });

  it('rejects incomplete, repeated or foreign vectors instead of scoring them', () => {
    expect(parseCvssV3('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H')).toBeUndefined();
    expect(parseCvssV3('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeUndefined();
    expect(parseCvssV3('CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeUndefined();
    expect(parseCvssV3('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBeUndefined();
    expect(parseCvssV3('garbage')).toBeUndefined();
    expect(parseCvssV2('AV:N/AC:L/Au:N/C:P/I:P')).toBeUndefined();
    expect(parseCvssV2('')).toBeUndefined();
  });

  it('maps scores to StackRox sub-severities at the documented boundaries', () => {
    expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(v3Severity)).toEqual(['NONE', 'LOW', 'LOW', 'MEDIUM', 'MEDIUM', 'HIGH', 'HIGH', 'CRITICAL', 'CRITICAL']);
    expect([0, 3.9, 4, 6.9, 7, 10].map(v2Severity)).toEqual(['LOW', 'LOW', 'MEDIUM', 'MEDIUM', 'HIGH', 'HIGH']);
  });
});
