import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { licenseOf, packageFromMetadata, parseMetadataHeaders, pythonAnalyzer } from '../../lib/analyzers/python';
import type { AnalysisResult, PackageRecord } from '../../lib/analyzers/types';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

const SITE = 'usr/local/lib/python3.11/site-packages';

function analyze(path: string, content: string | Buffer): AnalysisResult {
  const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return pythonAnalyzer.analyze({ path, content: buffer, mode: 0o644, size: buffer.length });
}

function packagesOf(result: AnalysisResult): PackageRecord[] {
  expect(result.evidence).toHaveLength(1);
  const [evidence] = result.evidence;
  return evidence?.kind === 'packages' ? evidence.packages : [];
}

const pypi = (name: string, version: string, license?: string): PackageRecord =>
  license === undefined ? { ecosystem: 'PyPI', purlType: 'pypi', name, version } : { ecosystem: 'PyPI', purlType: 'pypi', name, version, license };

/** Every regular file below `root`, as image paths. */
function filesBelow(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files.push(relative(root, full));
    }
  };
  walk(root);
  return files.sort();
}

describe('python analyser paths', () => {
  it.each([
    'opt/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA',
    'usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO',
    'usr/lib/python3/dist-packages/distlib-0.3.1-py3.9.egg-info',
    'usr/local/lib/python3.8/site-packages/foo-1.0-py3.8.egg/EGG-INFO/PKG-INFO',
    'usr/lib64/python3.9/site-packages/rpm-4.16.1.3-py3.9.egg-info',
    'site-packages/top-1.0.dist-info/METADATA',
    // setuptools puts its _vendor directory on sys.path: these are distributions Python sees.
    `${SITE}/setuptools/_vendor/zipp-3.19.2.dist-info/METADATA`,
    // pip install --target, a Lambda layer's python/, a PYTHONPATH directory: wheels pip unpacked.
    'app/deps/requests-2.31.0.dist-info/METADATA',
    'opt/python/charset_normalizer-3.3.2.dist-info/METADATA',
    'opt/my-site-packages/foo-1.0.dist-info/METADATA',
    'usr/lib/python3.11/foo-1.0rc1.post2.dist-info/METADATA',
  ])('wants %s', (path) => {
    expect(pythonAnalyzer.wants(path)).toBe(true);
  });

  it.each([
    `${SITE}/requests-2.31.0.dist-info/RECORD`,
    `${SITE}/requests-2.31.0.dist-info/WHEEL`,
    `${SITE}/urllib3-1.26.12.egg-info/requires.txt`,
    `${SITE}/.dist-info/METADATA`,
    `${SITE}/.egg-info`,
    `${SITE}/foo-1.0.egg/PKG-INFO`,
    `${SITE}/EGG-INFO/PKG-INFO`,
    `${SITE}/requests/METADATA`,
    // Not below a site directory: source checkouts, egg metadata elsewhere, a dist-info named unlike pip names them.
    'home/user/project/project.egg-info/PKG-INFO',
    'opt/site-packages-old/foo-1.0.egg-info/PKG-INFO',
    'app/deps/foo.dist-info/METADATA',
    'app/deps/foo-bar.dist-info/METADATA',
    'app/deps/-1.0.dist-info/METADATA',
    'METADATA',
    'usr/lib/python3/dist-packages',
  ])('does not want %s', (path) => {
    expect(pythonAnalyzer.wants(path)).toBe(false);
  });

  it('reads at most 1 MiB of metadata and declares no path hints (site directories are anywhere)', () => {
    expect(pythonAnalyzer.maxFileSize).toBe(1024 * 1024);
    expect('pathHints' in pythonAnalyzer).toBe(false);
    expect(pythonAnalyzer.name).toBe('python');
    expect(pythonAnalyzer.version).toBe(2);
  });
});

/** Fixture file → the image path it is analysed at, and what a correct parser reports (read off the files). */
const PEER_METADATA: Array<[string, string, PackageRecord]> = [
  // License given; the bare `License :: OSI Approved` classifier names nothing.
  ['trivy-asyncssh-2.14.2.METADATA', `${SITE}/asyncssh-2.14.2.dist-info/METADATA`, pypi('asyncssh', '2.14.2', 'Eclipse Public License v2.0')],
  // A distutils .egg-info file: PKG-INFO format, no classifiers.
  ['trivy-distlib-0.3.1-py3.9.egg-info', `${SITE}/distlib-0.3.1-py3.9.egg-info`, pypi('distlib', '0.3.1', 'Python license')],
  // License wins over the classifier.
  ['trivy-distlib-0.3.1.METADATA', `${SITE}/distlib-0.3.1.dist-info/METADATA`, pypi('distlib', '0.3.1', 'Python license')],
  // License-Expression (an SPDX expression) wins over the classifier.
  ['trivy-iniconfig-2.0.0.METADATA', `${SITE}/iniconfig-2.0.0.dist-info/METADATA`, pypi('iniconfig', '2.0.0', 'MIT')],
  // No licence at all (only License-File, which is not read).
  ['trivy-networkx-3.0.METADATA', `${SITE}/networkx-3.0.dist-info/METADATA`, pypi('networkx', '3.0')],
  // Three licence classifiers, none else: all of them, in order.
  [
    'trivy-pyphen-0.14.0.METADATA',
    `${SITE}/pyphen-0.14.0.dist-info/METADATA`,
    pypi(
      'pyphen',
      '0.14.0',
      'GNU General Public License v2 or later (GPLv2+), GNU Lesser General Public License v2 or later (LGPLv2+), Mozilla Public License 1.1 (MPL 1.1)',
    ),
  ],
  // License UNKNOWN; the classifiers come after an empty line inside the description, where the headers end (as
  // Python reads the file), so there is no licence.
  ['trivy-setuptools-51.3.3-py3.8.egg-info.PKG-INFO', `${SITE}/setuptools-51.3.3-py3.8.egg-info/PKG-INFO`, pypi('setuptools', '51.3.3')],
  // `Name: simple ` with a trailing blank: trimmed.
  ['trivy-simple-0.1.0.METADATA', `${SITE}/simple-0.1.0.dist-info/METADATA`, pypi('simple', '0.1.0')],
  // Name kept as written (the matcher normalises it); License UNKNOWN is no licence.
  ['trivy-unidecode-egg-info.PKG-INFO', `${SITE}/Unidecode-0.4.1-py2.7.egg-info/PKG-INFO`, pypi('Unidecode', '0.4.1')],
  // Only a classifier.
  ['trivy-zipp-3.12.1.METADATA', `${SITE}/zipp-3.12.1.dist-info/METADATA`, pypi('zipp', '3.12.1', 'MIT License')],
];

/** Site-packages trees: fixture → expected package per metadata file found in the tree. */
const PEER_SITE_PACKAGES: Array<[string, Record<string, PackageRecord>]> = [
  ['trivy-happy-dist', { 'site-packages/distlib-0.3.1.dist-info/METADATA': pypi('distlib', '0.3.1', 'Python license') }],
  ['trivy-happy-egg', { 'site-packages/distlib-0.3.1.egg-info/PKG-INFO': pypi('distlib', '0.3.1', 'Python license') }],
  ['trivy-classifier-license-dist', { 'site-packages/setuptools-51.3.3.dist-info/METADATA': pypi('setuptools', '51.3.3', 'MIT License') }],
  ['trivy-classifier-license-egg', { 'site-packages/setuptools-51.3.3.egg-info/PKG-INFO': pypi('setuptools', '51.3.3', 'MIT License') }],
  // The licence is only in LICENSE.txt beside METADATA, which is not read (it is not wanted either).
  ['trivy-license-file-dist', { 'site-packages/typing_extensions-4.4.0.dist-info/METADATA': pypi('typing_extensions', '4.4.0') }],
];

describeWithShared('python metadata from other scanners', () => {
  it.each(PEER_METADATA)('%s', (fixture, imagePath, expected) => {
    const file = readdirSync(peerFixture('pkgdb/python', fixture))[0];
    expect(pythonAnalyzer.wants(imagePath)).toBe(true);
    const result = analyze(imagePath, readFileSync(peerFixture('pkgdb/python', fixture, file)));
    expect(result).toEqual({ evidence: [{ kind: 'packages', packages: [expected] }] });
  });

  it.each(PEER_SITE_PACKAGES)('site-packages tree %s: only the metadata file is wanted, and it names the distribution', (fixture, expected) => {
    const root = peerFixture('pkgdb/python-site-packages', fixture);
    const wanted = filesBelow(root).filter((path) => pythonAnalyzer.wants(path));
    expect(wanted).toEqual(Object.keys(expected));
    for (const path of wanted) {
      const result = analyze(path, readFileSync(join(root, path)));
      expect(result).toEqual({ evidence: [{ kind: 'packages', packages: [expected[path]] }] });
    }
  });

  it.each(PEER_SITE_PACKAGES.filter(([, expected]) => Object.keys(expected).some((path) => path.includes('.dist-info/'))))(
    'the same tree %s installed with pip --target into app/deps is found there too',
    (fixture, expected) => {
      const root = peerFixture('pkgdb/python-site-packages', fixture);
      const moved = filesBelow(root).map((path) => ({ from: path, to: path.replace(/^site-packages\//, 'app/deps/') }));
      const wanted = moved.filter(({ to }) => pythonAnalyzer.wants(to));
      expect(wanted.map(({ from }) => from)).toEqual(Object.keys(expected));
      for (const { from, to } of wanted)
        expect(analyze(to, readFileSync(join(root, from)))).toEqual({ evidence: [{ kind: 'packages', packages: [expected[from]] }] });
    },
  );
});

const PYTHON_HEADERS = `
import email, json, sys
out = []
for path in sys.argv[1:]:
    with open(path, encoding='utf-8') as f:
        m = email.message_from_string(f.read())
    out.append({k: m.get_all(k) or [] for k in ('Name', 'Version', 'License', 'License-Expression', 'Classifier')})
print(json.dumps(out))
`;

function pythonAvailable(): boolean {
  try {
    execFileSync('python3', ['-c', 'import email'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What Python's own parser (the one importlib.metadata uses) reads from each file: the reference for headers. */
function pythonHeaders(files: string[]): Array<Record<string, string[]>> {
  return JSON.parse(execFileSync('python3', ['-c', PYTHON_HEADERS, ...files], { encoding: 'utf8' }));
}

/** Python keeps folded values as written; the parser joins continuation lines with `\n`, each line trimmed. */
const unfolded = (value: string): string =>
  value
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();

function expectSameHeadersAsPython(files: string[]): void {
  const reference = pythonHeaders(files);
  files.forEach((file, index) => {
    const headers = parseMetadataHeaders(readFileSync(file, 'utf8'));
    for (const [name, values] of Object.entries(reference[index])) {
      expect({ file, name, values: headers.all(name).map(unfolded) }).toEqual({ file, name, values: values.map(unfolded) });
    }
  });
}

describeWithShared('python metadata headers against Python’s email parser', () => {
  it('every peer fixture: the same Name, Version, License, License-Expression and classifiers', () => {
    if (!pythonAvailable()) {
      console.warn('SKIPPED python header cross-check: python3 is not installed');
      return;
    }
    const files = [
      ...PEER_METADATA.map(([fixture]) => {
        const dir = peerFixture('pkgdb/python', fixture);
        return join(dir, readdirSync(dir)[0]);
      }),
      ...PEER_SITE_PACKAGES.flatMap(([fixture, expected]) => Object.keys(expected).map((path) => peerFixture('pkgdb/python-site-packages', fixture, path))),
    ];
    expectSameHeadersAsPython(files);
  });
});

/** Real Debian packages: python3-urllib3 and python3-requests ship egg-info directories, python3-blinker a dist-info. */
const DEBIAN_PACKAGES = ['python3-urllib3', 'python3-requests', 'python3-blinker'];

describe('python metadata of real Debian packages', () => {
  let work: string | undefined;
  let unavailable: string | undefined;
  const roots = new Map<string, string>();
  const versions = new Map<string, string>();

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lamina-python-debs-'));
    try {
      execFileSync('apt-get', ['download', ...DEBIAN_PACKAGES], { cwd: work, stdio: 'pipe', timeout: 120_000 });
      for (const deb of readdirSync(work).filter((name) => name.endsWith('.deb'))) {
        const name = deb.slice(0, deb.indexOf('_'));
        const root = join(work, name);
        execFileSync('dpkg-deb', ['-x', join(work, deb), root], { stdio: 'pipe' });
        roots.set(name, root);
        versions.set(name, execFileSync('dpkg-deb', ['-f', join(work, deb), 'Version'], { encoding: 'utf8' }).trim());
      }
      const missing = DEBIAN_PACKAGES.filter((name) => !roots.has(name));
      if (missing.length > 0) unavailable = `apt-get download gave no ${missing.join(', ')}`;
    } catch (err) {
      unavailable = `apt-get download ${DEBIAN_PACKAGES.join(' ')} failed: ${(err as Error).message.split('\n')[0]}`;
    }
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function skipped(name: string): boolean {
    if (unavailable === undefined) return false;
    console.warn(`SKIPPED "${name}": ${unavailable}`);
    return true;
  }

  /** The upstream version in a Debian version: no epoch, no revision, no repack suffix (`2.28.1+dfsg-1` → `2.28.1`). */
  const upstream = (debianVersion: string): string =>
    debianVersion
      .replace(/^\d+:/, '')
      .replace(/-[^-]+$/, '')
      .replace(/\+(dfsg|ds)\d*$/, '');

  it.each([
    ['python3-urllib3', 'usr/lib/python3/dist-packages/urllib3-', '.egg-info/PKG-INFO', 'urllib3', 'MIT'],
    ['python3-requests', 'usr/lib/python3/dist-packages/requests-', '.egg-info/PKG-INFO', 'requests', 'Apache 2.0'],
    ['python3-blinker', 'usr/lib/python3/dist-packages/blinker-', '.dist-info/METADATA', 'blinker', 'MIT License'],
  ])('%s: exactly its metadata file is wanted; it names the upstream version of the .deb', (deb, prefix, suffix, name, license) => {
    if (skipped(`python metadata of ${deb}`)) return;
    const root = roots.get(deb)!;
    const wanted = filesBelow(root).filter((path) => pythonAnalyzer.wants(path));
    expect(wanted).toHaveLength(1);
    expect(wanted[0].startsWith(prefix) && wanted[0].endsWith(suffix)).toBe(true);
    const result = analyze(wanted[0], readFileSync(join(root, wanted[0])));
    expect(result).toEqual({ evidence: [{ kind: 'packages', packages: [pypi(name, upstream(versions.get(deb)!), license)] }] });
    // The metadata directory is named after the same version.
    expect(wanted[0]).toBe(`${prefix}${upstream(versions.get(deb)!)}${suffix}`);
  });

  it('their headers read as Python reads them', () => {
    if (skipped('python header cross-check on Debian packages')) return;
    if (!pythonAvailable()) {
      console.warn('SKIPPED python header cross-check on Debian packages: python3 is not installed');
      return;
    }
    const files = [...roots.values()].flatMap((root) =>
      filesBelow(root)
        .filter((path) => pythonAnalyzer.wants(path))
        .map((path) => join(root, path)),
    );
    expect(files).toHaveLength(DEBIAN_PACKAGES.length);
    expectSameHeadersAsPython(files);
  });
});

describe('python metadata written for the test', () => {
  const path = `${SITE}/demo-1.0.dist-info/METADATA`;

  it('core metadata 2.4: License-Expression wins over License and classifiers', () => {
    const text = [
      'Metadata-Version: 2.4',
      'Name: Demo_Pkg',
      'Version: 1.0.post1',
      'License: old text',
      'License-Expression: MIT OR Apache-2.0',
      'License-File: LICENSE',
      'Classifier: License :: OSI Approved :: MIT License',
      '',
      'Body',
    ].join('\n');
    expect(packagesOf(analyze(path, text))).toEqual([pypi('Demo_Pkg', '1.0.post1', 'MIT OR Apache-2.0')]);
  });

  it('CRLF line ends, a byte-order mark and case-insensitive field names', () => {
    const text = '\uFEFFmetadata-version: 2.1\r\nname: crlf\r\nversion: 2!1.0rc1\r\nlicense: BSD-3-Clause\r\n\r\n';
    expect(packagesOf(analyze(path, text))).toEqual([pypi('crlf', '2!1.0rc1', 'BSD-3-Clause')]);
  });

  it('the headers end at the first empty line: a License in the body is not a header', () => {
    const text = 'Name: demo\nVersion: 1\n\nLicense: MIT\n';
    expect(packagesOf(analyze(path, text))).toEqual([pypi('demo', '1')]);
  });

  it('as in Python, a line that is neither a header nor a continuation ends the headers', () => {
    const text = 'Name: demo\nVersion: 1\n.. image:: https://example.org/badge.svg\nLicense: MIT\n';
    expect(packagesOf(analyze(path, text))).toEqual([pypi('demo', '1')]);
  });

  it('continuation lines (whitespace-only ones too) belong to the field before them', () => {
    const text = 'Name: demo\nVersion: 1\nDescription: first\n        \n        second\nLicense: MIT\n';
    const headers = parseMetadataHeaders(text);
    expect(headers.get('Description')).toBe('first\n\nsecond');
    expect(packagesOf(analyze(path, text))).toEqual([pypi('demo', '1', 'MIT')]);
  });

  it('a License holding a whole licence text gives way to classifiers; without any, its first line is kept', () => {
    const fullText = 'License: BSD 3-Clause License\n        \n        Copyright (c) 2020, Someone\n        Redistribution and use ...';
    const classifier = 'Classifier: License :: OSI Approved :: BSD License';
    expect(licenseOf(parseMetadataHeaders(`Name: a\nVersion: 1\n${fullText}\n${classifier}\n`))).toBe('BSD License');
    expect(licenseOf(parseMetadataHeaders(`Name: a\nVersion: 1\n${fullText}\n`))).toBe('BSD 3-Clause License');
  });

  it('UNKNOWN licences (any case) give way to classifiers; classifiers are not repeated', () => {
    const text = [
      'Name: a',
      'Version: 1',
      'License: unknown',
      'Classifier: License :: OSI Approved :: MIT License',
      'Classifier: License :: OSI Approved :: MIT License',
      'Classifier: License :: Public Domain',
      'Classifier: License :: OSI Approved',
      'Classifier: Programming Language :: Python',
    ].join('\n');
    expect(licenseOf(parseMetadataHeaders(text))).toBe('MIT License, Public Domain');
  });

  it('a file without Name or Version gives a note, no evidence, and says it was not readable', () => {
    expect(analyze(path, 'Metadata-Version: 2.1\nVersion: 1.0\n')).toEqual({
      evidence: [],
      notes: [`${path}: no valid Name header`],
      unreadable: true,
    });
    expect(analyze(path, 'Metadata-Version: 2.1\nName: demo\n')).toEqual({
      evidence: [],
      notes: [`${path}: demo has no valid Version header`],
      unreadable: true,
    });
    expect(packageFromMetadata('Name: two words\nVersion: 1\n')).toBe('no valid Name header');
    expect(packageFromMetadata('Name: demo\nVersion: 1 2\n')).toBe('demo has no valid Version header');
    expect(analyze(path, '').notes).toEqual([`${path}: no valid Name header`]);
  });

  it('random bytes give a note and no evidence, never a throw', () => {
    for (let i = 0; i < 20; i++) {
      const result = analyze(path, randomBytes(2048));
      if (result.evidence.length > 0) continue; // a random buffer could, in principle, read as headers
      expect(result.unreadable).toBe(true);
      expect(result.notes).toHaveLength(1);
    }
  });
});
