import { compareVersions, isValidVersion } from '../../lib/versions';
import { RPM_EVR_CASES, RPMVERCMP_CASES, RPMVERCMP_ODDITIES } from './data/rpm';
import { rpmvercmp } from '../../lib/versions/rpm';

describe('rpm versions', () => {
  test.each(RPMVERCMP_CASES)('rpmvercmp(%j, %j) = %i', (a, b, expected) => {
    expect(rpmvercmp(a, b)).toBe(expected);
  });

  test.each(RPMVERCMP_ODDITIES)('documented oddity: rpmvercmp(%j, %j) = %i', (a, b, expected) => {
    expect(rpmvercmp(a, b)).toBe(expected);
  });

  test.each(RPM_EVR_CASES)('EVR %j vs %j is %i in every rpm ecosystem', (a, b, expected) => {
    for (const eco of [
      'Red Hat:rhel_aus:8.4::appstream',
      'Rocky Linux:9',
      'AlmaLinux:8',
      'openSUSE:Leap 15.5',
      'SUSE:Linux Enterprise Server 15 SP5',
      'Mageia:9',
      'Photon OS:5.0',
      'Azure Linux:3',
    ]) {
      expect(compareVersions(eco, a, b)).toBe(expected);
      expect(compareVersions(eco, b, a)).toBe(-expected || 0);
    }
  });

  test('validity: epoch must be numeric, release not empty', () => {
    expect(isValidVersion('Red Hat', '1:2.3-4.el9')).toBe(true);
    expect(isValidVersion('Red Hat', '2.3')).toBe(true);
    expect(isValidVersion('Red Hat', 'x:2.3-4')).toBe(false);
    expect(isValidVersion('Red Hat', '2.3-')).toBe(false);
    expect(isValidVersion('Red Hat', '')).toBe(false);
  });
});
