import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectorFor } from '../../lib/analyzers';
import { composerAnalyzer, isInstalledJson, packagistVersion, parseInstalledJson } from '../../lib/analyzers/composer';
import type { AnalysisResult, PackageRecord } from '../../lib/analyzers/types';
import { compareVersions } from '../../lib/versions';

const INSTALLED = 'var/www/html/vendor/composer/installed.json';
const DATA = join(__dirname, 'data/composer');

function analyze(content: string | Buffer, path = INSTALLED): AnalysisResult {
  const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return composerAnalyzer.analyze({ path, content: buffer, mode: 0o644, size: buffer.length });
}

const composer = (name: string, version: string, license?: string): PackageRecord =>
  license === undefined
    ? { ecosystem: 'Packagist', purlType: 'composer', name, version }
    : { ecosystem: 'Packagist', purlType: 'composer', name, version, license };

const found = (...packages: PackageRecord[]): AnalysisResult => ({ evidence: [{ kind: 'packages', packages }] });

describe('composer analyser paths', () => {
  it('wants vendor/composer/installed.json wherever the application is', () => {
    for (const path of ['vendor/composer/installed.json', INSTALLED, 'app/vendor/composer/installed.json', 'srv/a/b/vendor/composer/installed.json']) {
      expect([path, composerAnalyzer.wants(path)]).toEqual([path, true]);
    }
  });

  it('leaves out lockfiles, Composer’s other files and look-alikes', () => {
    for (const path of [
      'composer.lock',
      'var/www/html/composer.lock',
      'var/www/html/composer.json',
      'var/www/html/vendor/composer/installed.php',
      'var/www/html/vendor/composer/installed.json.bak',
      'var/www/html/vendor/composer/autoload_classmap.php',
      'var/www/html/myvendor/composer/installed.json',
      'var/www/html/vendor/composer/x/installed.json',
      'installed.json',
    ]) {
      expect([path, composerAnalyzer.wants(path)]).toEqual([path, false]);
    }
    expect(isInstalledJson).toBe(composerAnalyzer.wants);
  });

  it('declares no path hints and reads installed.json up to 16 MiB', () => {
    expect('pathHints' in composerAnalyzer).toBe(false);
    expect(composerAnalyzer.maxFileSize).toBe(16 * 1024 * 1024);
    expect([composerAnalyzer.name, composerAnalyzer.version]).toEqual(['composer', 1]);
    expect(selectorFor([composerAnalyzer]).limitFor(INSTALLED)).toBe(16 * 1024 * 1024);
  });
});

describe('installed.json of both Composer shapes (see data/composer/PROVENANCE.md)', () => {
  it('Composer 1: a JSON array of packages; tagged versions lose their v', () => {
    expect(analyze(readFileSync(join(DATA, 'composer1-installed.json')))).toEqual(
      found(
        composer('guzzlehttp/guzzle', '6.5.5', 'MIT'),
        composer('guzzlehttp/psr7', '1.6.1', 'MIT'),
        composer('monolog/monolog', '1.25.5', 'MIT'),
        composer('symfony/http-foundation', '4.4.13', 'MIT'),
      ),
    );
  });

  it('Composer 2: an object with packages; development packages are installed too and are reported', () => {
    expect(analyze(readFileSync(join(DATA, 'composer2-installed.json')))).toEqual(
      found(
        composer('guzzlehttp/psr7', '2.4.3', 'MIT'),
        composer('phpmailer/phpmailer', '6.4.1', 'LGPL-2.1-only'),
        composer('phpunit/phpunit', '9.5.10', 'BSD-3-Clause'),
        composer('symfony/polyfill-mbstring', '1.27.0', 'MIT'),
        composer('twig/twig', '3.4.2', 'BSD-3-Clause'),
      ),
    );
  });

  it('the versions reported compare as Packagist versions against advisory bounds', () => {
    // twig/twig < 3.4.3 (CVE-2022-39261), phpmailer/phpmailer < 6.5.0 (CVE-2021-34551).
    expect(compareVersions('Packagist', '3.4.2', '3.4.3')).toBeLessThan(0);
    expect(compareVersions('Packagist', '6.4.1', '6.5.0')).toBeLessThan(0);
  });
});

describe('installed.json files written for the test', () => {
  it('several licences are a choice; a lone string licence is taken too', () => {
    const text = JSON.stringify({
      packages: [
        { name: 'a/dual', version: '1.0.0', license: ['LGPL-2.1-only', 'GPL-3.0-or-later'] },
        { name: 'a/string', version: '1.0.0', license: 'MIT' },
        { name: 'a/none', version: '1.0.0', license: [] },
        { name: 'a/compound', version: '1.0.0', license: ['(MIT or Apache-2.0)', 'BSD-3-Clause AND MIT', 'BSD-3-Clause AND MIT'] },
      ],
    });
    expect(analyze(text)).toEqual(
      found(
        composer('a/dual', '1.0.0', 'LGPL-2.1-only OR GPL-3.0-or-later'),
        composer('a/string', '1.0.0', 'MIT'),
        composer('a/none', '1.0.0'),
        composer('a/compound', '1.0.0', '((MIT or Apache-2.0)) OR (BSD-3-Clause AND MIT)'),
      ),
    );
  });

  it('the v goes only before a digit: branch versions stay as Composer wrote them', () => {
    expect(['v1.2.3', 'V2.0.0-RC1', '1.2.3', 'dev-main', 'dev-v2', '2.x-dev', 'v', 'vx1', 'very-1'].map(packagistVersion)).toEqual([
      '1.2.3',
      '2.0.0-RC1',
      '1.2.3',
      'dev-main',
      'dev-v2',
      '2.x-dev',
      'v',
      'vx1',
      'very-1',
    ]);
  });

  it('entries without a name or version are skipped with a note; the rest are kept and the result is partial', () => {
    const result = analyze(
      JSON.stringify([{ name: 'ok/one', version: 'v1.0.0' }, { version: '1.0.0' }, { name: 'no/version' }, 'junk', { name: 'a b', version: '1' }]),
    );
    expect(result).toEqual({
      evidence: [{ kind: 'packages', packages: [composer('ok/one', '1.0.0')] }],
      notes: [
        `${INSTALLED}: package 1 has no valid name; skipped`,
        `${INSTALLED}: package 2 (no/version) has no valid version; skipped`,
        `${INSTALLED}: package 3 is not an object; skipped`,
        `${INSTALLED}: package 4 has no valid name; skipped`,
      ],
      unreadable: true,
    });
  });

  it('an empty installation is evidence that nothing is installed', () => {
    expect(analyze('[]')).toEqual(found());
    expect(analyze(JSON.stringify({ packages: [], dev: true, 'dev-package-names': [] }))).toEqual(found());
  });

  it('a file of neither shape, or not JSON, is unreadable', () => {
    const shape = 'neither a package array (Composer 1) nor an object with packages (Composer 2)';
    expect(analyze('{"dev": true}')).toEqual({ evidence: [], notes: [`${INSTALLED}: ${shape}`], unreadable: true });
    expect(analyze('{"packages": {"a/b": {}}}')).toEqual({ evidence: [], notes: [`${INSTALLED}: ${shape}`], unreadable: true });
    const cut = analyze('{"packages": [{"name": "a/b", "version": "1.0');
    expect(cut.evidence).toEqual([]);
    expect(cut.unreadable).toBe(true);
    expect(cut.notes?.[0]).toMatch(/^var\/www\/html\/vendor\/composer\/installed\.json: not valid JSON \(.+\)$/);
  });

  it('a byte-order mark is tolerated', () => {
    expect(parseInstalledJson(`\ufeff${JSON.stringify([{ name: 'a/b', version: '1.0.0' }])}`).packages).toEqual([composer('a/b', '1.0.0')]);
  });

  it('random bytes give a note, never a throw', () => {
    for (let i = 0; i < 20; i++) {
      const result = analyze(randomBytes(512));
      expect(result.evidence).toEqual([]);
      expect(result.unreadable).toBe(true);
    }
  });
});
