import { affectedVerdict, type AffectedVersions } from '../../lib/vulndb/affected';
import { compareAdvisoryVersions } from '../../lib/versions';

/**
 * The common ranges (`[introduced]`, `[introduced 0, fixed]`, `[introduced 0, last_affected]`) are judged without
 * ordering their events; the same events written as one object take the general way. Both must say the same,
 * errors included.
 */
const outcome = (version: string, entry: AffectedVersions, ecosystem: string) => {
  const compared: string[] = [];
  const compare = (a: string, b: string) => {
    compared.push(`${a}|${b}`);
    return compareAdvisoryVersions(ecosystem, a, b);
  };
  try {
    return { verdict: JSON.stringify(affectedVerdict(version, entry, compare)), compared };
  } catch (err) {
    return { error: (err as Error).message, compared };
  }
};

const range = (events: Array<Record<string, string>>): AffectedVersions => ({ ranges: [{ type: 'ECOSYSTEM', events }] });

describe('common OSV ranges', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['npm', ['0', '1.0.0', '1.2.3', '1.2', '2.0.0-beta.1', 'not-a-version', ''], ['1.2.3', '1.2', '0', '2', 'garbage', '1.0.0']],
    ['Debian:12', ['0', '1.0-1', '1:2.3-4', '1.0-1~deb12u1', '-bad'], ['1.0-2', '0', '1.0-1', 'a b']],
    ['PyPI', ['0', '1.0', '1.0.post1', '2.0rc1', 'nope'], ['1.0', '2.0', '0', 'x']],
  ];
  it.each(cases)('judge %s versions as the general way does', (ecosystem, installed, bounds) => {
    for (const version of installed) {
      for (const bound of bounds) {
        for (const kind of ['fixed', 'last_affected']) {
          const simple = outcome(version, range([{ introduced: '0' }, { [kind]: bound }]), ecosystem);
          const general = outcome(version, range([{ introduced: '0', [kind]: bound }]), ecosystem);
          expect({ version, bound, kind, ...simple }).toEqual({ version, bound, kind, ...general });
        }
        const alone = outcome(version, range([{ introduced: bound }]), ecosystem);
        const aloneGeneral = outcome(version, range([{ introduced: bound, limit: '' }]), ecosystem);
        expect({ version, bound, ...alone }).toEqual({ version, bound, ...aloneGeneral });
      }
    }
  });
});
