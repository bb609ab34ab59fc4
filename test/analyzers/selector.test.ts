import { defaultAnalyzers, selectorFor } from '../../lib/analyzers';
import { dpkgAnalyzer } from '../../lib/analyzers/dpkg';
import { osReleaseAnalyzer } from '../../lib/analyzers/os-release';
import type { HintedAnalyzer } from '../../lib/analyzers/path-hints';
import type { Analyzer } from '../../lib/analyzers/types';

function fakeAnalyzer(name: string, maxFileSize: number, wants: (path: string) => boolean, pathHints?: HintedAnalyzer['pathHints']): Analyzer {
  const analyzer: Analyzer = { name, version: 1, maxFileSize, wants, analyze: () => ({ evidence: [] }) };
  return pathHints ? ({ ...analyzer, pathHints } as HintedAnalyzer) : analyzer;
}

describe('defaultAnalyzers', () => {
  it('runs the OS analysers first, then the language ones, with distinct names', () => {
    const analyzers = defaultAnalyzers();
    expect(analyzers.map((a) => a.name).slice(0, 6)).toEqual(['os-release', 'dpkg', 'dpkg-copyright', 'apk', 'rpm', 'opkg']);
    expect(new Set(analyzers.map((a) => a.name)).size).toBe(analyzers.length);
  });
});

describe('selectorFor', () => {
  const selector = selectorFor(defaultAnalyzers());

  it('gives each wanted path the limit of the analyser that wants it', () => {
    expect(selector.limitFor('etc/os-release')).toBe(osReleaseAnalyzer.maxFileSize);
    expect(selector.limitFor('etc/debian_version')).toBe(osReleaseAnalyzer.maxFileSize);
    expect(selector.limitFor('var/lib/dpkg/status')).toBe(dpkgAnalyzer.maxFileSize);
    expect(selector.limitFor('var/lib/dpkg/status.d/tzdata')).toBe(dpkgAnalyzer.maxFileSize);
    expect(selector.limitFor('var/lib/dpkg/info/libc6:amd64.list')).toBe(dpkgAnalyzer.maxFileSize);
  });

  it('rules out everything else', () => {
    for (const path of [
      '',
      'etc',
      'etc/passwd',
      'var/lib/dpkg/info/bash.postinst',
      'var/lib/dpkg/status.d/x.preinst',
      'usr/lib/opkg/info/busybox.control',
      // Read as they stream by (dpkg-copyright), never whole.
      'usr/share/doc/bash/copyright',
      'usr/bin/bash',
      'var/lib/dpkg/status-old',
    ]) {
      expect(selector.limitFor(path)).toBeUndefined();
    }
  });

  it('agrees with asking every analyser, path by path', () => {
    const analyzers = defaultAnalyzers();
    const paths = [
      ...analyzers.flatMap((a) => (a as Partial<HintedAnalyzer>).pathHints?.exact ?? []),
      'var/lib/dpkg/status.d/base-files',
      'var/lib/dpkg/status.d/base-files.md5sums',
      'var/lib/dpkg/status.d/base-files.conffiles',
      'var/lib/dpkg/info/bash.list',
      'var/lib/dpkg/info/bash.md5sums',
      'var/lib/dpkg/info/bash.postinst',
      'usr/lib/opkg/info/busybox.list',
      'var/lib/opkg/info/busybox.list',
      'usr/lib/opkg/info/busybox.prerm',
      'etc/os-release/x',
      'lib/apk/db/installed',
    ];
    for (const path of paths) {
      const wanting = analyzers.filter((a) => a.wants(path));
      const expected = wanting.length ? Math.max(...wanting.map((a) => a.maxFileSize)) : undefined;
      expect([path, selector.limitFor(path)]).toEqual([path, expected]);
    }
  });

  it('asks analysers without hints about every path and takes the largest limit', () => {
    const unhinted = fakeAnalyzer('any-json', 10, (path) => path.endsWith('.json') || path === 'etc/os-release');
    const hinted = fakeAnalyzer('dir', 500, (path) => path.startsWith('opt/app/') && !path.endsWith('.skip'), {
      childrenOf: ['opt/app'],
      exact: ['etc/os-release'],
    });
    const mixed = selectorFor([osReleaseAnalyzer, unhinted, hinted]);
    expect(mixed.limitFor('srv/package.json')).toBe(10);
    expect(mixed.limitFor('opt/app/package.json')).toBe(500);
    expect(mixed.limitFor('opt/app/x.skip')).toBeUndefined();
    expect(mixed.limitFor('opt/app/deeper/x')).toBeUndefined();
    expect(mixed.limitFor('etc/os-release')).toBe(osReleaseAnalyzer.maxFileSize);
  });

  it('answers for a path an exact hint names only when the analyser wants it', () => {
    const picky = fakeAnalyzer('picky', 7, () => false, { exact: ['etc/hosts'] });
    expect(selectorFor([picky]).limitFor('etc/hosts')).toBeUndefined();
  });
});
