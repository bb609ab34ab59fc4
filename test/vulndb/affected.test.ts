import { affectedVerdict, type AffectedVersions } from '../../lib/vulndb/affected';

// A plain numeric comparator keeps these tests about OSV's range semantics, not a version scheme.
const numeric = (a: string, b: string) => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};
const ecosystem = (...events: Array<Record<string, string>>): AffectedVersions => ({ ranges: [{ type: 'ECOSYSTEM', events }] });
const verdict = (v: string, entry: AffectedVersions) => affectedVerdict(v, entry, numeric);

describe('OSV affected ranges', () => {
  it('introduced 0 with a fix: everything below the fix is affected, with the fix as fixedBy', () => {
    const entry = ecosystem({ introduced: '0' }, { fixed: '1.2.3' });
    expect(verdict('0.1', entry)).toEqual({ affected: true, fixedBy: '1.2.3' });
    expect(verdict('1.2.2', entry)).toEqual({ affected: true, fixedBy: '1.2.3' });
    expect(verdict('1.2.3', entry)).toEqual({ affected: false });
    expect(verdict('2.0', entry)).toEqual({ affected: false });
  });

  it('several introduced/fixed pairs in one range, given out of order', () => {
    const entry = ecosystem({ fixed: '2.5' }, { introduced: '3.0' }, { introduced: '1.0' }, { fixed: '3.4' });
    expect(verdict('0.9', entry).affected).toBe(false);
    expect(verdict('1.0', entry)).toEqual({ affected: true, fixedBy: '2.5' });
    expect(verdict('2.7', entry).affected).toBe(false);
    expect(verdict('3.1', entry)).toEqual({ affected: true, fixedBy: '3.4' });
    expect(verdict('3.4', entry).affected).toBe(false);
  });

  it('no fix is still a finding, without fixedBy', () => {
    expect(verdict('9.9', ecosystem({ introduced: '1.0' }))).toEqual({ affected: true, fixedBy: undefined });
  });

  it('last_affected includes its own version and nothing above', () => {
    const entry = ecosystem({ introduced: '1.0' }, { last_affected: '1.4' });
    expect(verdict('1.4', entry)).toEqual({ affected: true, fixedBy: undefined });
    expect(verdict('1.4.1', entry).affected).toBe(false);
  });

  it('limit caps the range from above', () => {
    const entry = ecosystem({ introduced: '0' }, { limit: '2.0' });
    expect(verdict('1.9', entry).affected).toBe(true);
    expect(verdict('2.0', entry).affected).toBe(false);
  });

  it('an explicit versions list matches exactly, even without ranges', () => {
    const entry: AffectedVersions = { versions: ['1.0', '1.1'] };
    expect(verdict('1.1', entry).affected).toBe(true);
    expect(verdict('1.2', entry).affected).toBe(false);
  });

  it('ignores GIT ranges', () => {
    const entry: AffectedVersions = { ranges: [{ type: 'GIT', events: [{ introduced: '0' }, { fixed: 'abc123' }] }] };
    expect(verdict('1.0', entry).affected).toBe(false);
  });

  it('several ranges: the lowest fix above the installed version wins', () => {
    const entry: AffectedVersions = {
      ranges: [
        { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0' }] },
        { type: 'SEMVER', events: [{ introduced: '1.0' }, { fixed: '2.0' }] },
      ],
    };
    expect(verdict('1.5', entry)).toEqual({ affected: true, fixedBy: '2.0' });
    expect(verdict('2.5', entry)).toEqual({ affected: true, fixedBy: '3.0' });
  });
});
