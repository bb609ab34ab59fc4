import { compareVersions, isValidVersion } from '../../lib/versions';
import { APK_VALIDITY, apkVersionCases } from './data/apk';

const cases = apkVersionCases();

describe('apk versions (Alpine, Wolfi, Chainguard)', () => {
  test('the upstream table is all there', () => {
    expect(cases.length).toBeGreaterThan(600);
  });

  test.each(cases)('%j vs %j is %i, and reversed the opposite', (a, b, expected) => {
    expect(compareVersions('Alpine:v3.18', a, b)).toBe(expected);
    expect(compareVersions('Wolfi', b, a)).toBe(-expected || 0);
  });

  test.each(APK_VALIDITY)('%j valid: %j', (version, valid) => {
    expect(isValidVersion('Alpine:v3.20', version)).toBe(valid);
  });

  test('commit hashes and suffix ranks', () => {
    expect(compareVersions('Chainguard', '1.0_alpha', '1.0_beta')).toBe(-1);
    expect(compareVersions('Chainguard', '1.0_rc1', '1.0')).toBe(-1);
    expect(compareVersions('Chainguard', '1.0', '1.0_cvs')).toBe(-1);
    expect(compareVersions('Chainguard', '1.0_cvs', '1.0_svn')).toBe(-1);
    expect(compareVersions('Chainguard', '1.0_git', '1.0_hg')).toBe(-1);
    expect(compareVersions('Chainguard', '1.0_hg', '1.0_p1')).toBe(-1);
    expect(compareVersions('Chainguard', '1.0~abc-r1', '1.0~abd-r0')).toBe(-1);
    expect(compareVersions('Alpine', '3.0.8-r0', '3.0.15-r0')).toBe(-1);
  });
});
