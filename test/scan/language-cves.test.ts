import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import * as yazl from 'yazl';
import { createImageService } from '../../lib/compose';
import { configFromEnv } from '../../lib/config';
import type { ImageService } from '../../lib/service/image-service';
import { MemoryImageStore } from '../../lib/service/memory-image-store';
import type { StorageEmbeddedImageScanComponent, StorageImage } from '../../lib/stackrox/types';
import { affectedVerdict } from '../../lib/vulndb/affected';
import { importAdvisories } from '../../lib/vulndb/import';
import { matchInventory } from '../../lib/vulndb/matcher';
import { MemoryAdvisoryStore } from '../../lib/vulndb/memory-store';
import type { Osv } from '../../lib/vulndb/osv';
import { compareVersions } from '../../lib/versions';
import { FakeRegistry } from '../image/fake-registry';
import { buildImage, type BuiltImage, type TarEntrySpec } from '../support/image-builder';
import { advisoryFixture, peerFixture, sharedAvailable, warnSkipped } from '../support/shared-fixtures';

/*
 * Language packages found in an image, matched against real OSV records (test/scan/data/osv, see
 * test/scan/data/PROVENANCE.md; with ../shared also the Go and PyPI records of ../shared/fixtures/advisories/osv),
 * through the real scan path: an image in a registry, the default analysers, the advisory store an import fills,
 * the matcher and the StackRox rendering.
 */

const DATA = join(__dirname, 'data');
const EVIDENCE = join(DATA, 'evidence');
const ANALYZER_DATA = join(__dirname, '../analyzers/data');

/** Debian 12's /etc/os-release (base-files 12.4+deb12u5). */
const DEBIAN_12_OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;

// ---- evidence ------------------------------------------------------------------------------------------------

/** The minimist 1.2.5 tarball from the npm registry, unpacked where npm installs it; undefined when npm cannot fetch it. */
async function packedMinimist(root: string): Promise<TarEntrySpec[] | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'lamina-npm-pack-'));
  try {
    execFileSync('npm', ['pack', 'minimist@1.2.5', '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    const tgz = readdirSync(dir).find((name) => name.endsWith('.tgz'));
    if (!tgz) return undefined;
    const entries: TarEntrySpec[] = [];
    const tar = extract();
    Readable.from(gunzipSync(readFileSync(join(dir, tgz)))).pipe(tar);
    for await (const entry of tar) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type === 'file') entries.push({ path: `${root}/${entry.header.name.replace(/^package\//, '')}`, content: Buffer.concat(chunks) });
    }
    return entries;
  } catch (err) {
    console.warn(`SKIPPED the minimist part of the language CVE test: npm pack minimist@1.2.5 failed (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function zip(entries: Array<{ name: string; content: Buffer | string }>): Promise<Buffer> {
  const archive = new yazl.ZipFile();
  for (const entry of entries) archive.addBuffer(Buffer.from(entry.content), entry.name, { mtime: new Date(2024, 0, 1) });
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    archive.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    archive.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    archive.outputStream.on('error', reject);
    archive.end();
  });
}

/**
 * A jar as maven-jar-plugin lays one out. Synthetic: real coordinates and versions, but the metadata is written
 * here (no vulnerable log4j-core or netty-handler jar can be fetched from the reachable registries).
 */
function syntheticJar(groupId: string, artifactId: string, version: string): Promise<Buffer> {
  return zip([
    { name: 'META-INF/MANIFEST.MF', content: `Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin 3.2.0\r\nImplementation-Version: ${version}\r\n\r\n` },
    {
      name: `META-INF/maven/${groupId}/${artifactId}/pom.properties`,
      content: `#Created by Apache Maven 3.6.3\nversion=${version}\ngroupId=${groupId}\nartifactId=${artifactId}\n`,
    },
    { name: `META-INF/maven/${groupId}/${artifactId}/pom.xml`, content: '<project/>' },
  ]);
}

function file(path: string, source: string, mode?: number): TarEntrySpec {
  return { path, content: readFileSync(source), ...(mode ? { mode } : {}) };
}

/** Debian's python3-urllib3 as dpkg installed it: status paragraph, file list, and the egg-info it owns. */
function debianUrllib3(): TarEntrySpec[] {
  return [
    file('var/lib/dpkg/status', join(EVIDENCE, 'python3-urllib3/status')),
    file('var/lib/dpkg/info/python3-urllib3.list', join(EVIDENCE, 'python3-urllib3/python3-urllib3.list')),
    file('usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO', join(EVIDENCE, 'python3-urllib3/PKG-INFO')),
  ];
}

// ---- results ---------------------------------------------------------------------------------------------------

/** `<source> <name> <version> @ <location>` → its vulnerabilities as `<id> <fixedBy>`, for every non-OS component. */
function languageFindings(image: StorageImage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of image.scan!.components) {
    if (c.source === 'OS') continue;
    const key = `${c.source} ${c.name} ${c.version} @ ${c.location}`;
    expect(out[key]).toBeUndefined();
    out[key] = c.vulns.map((v) => `${v.cve} ${v.fixedBy ?? '-'}`).sort();
  }
  return out;
}

function component(image: StorageImage, name: string, version: string): StorageEmbeddedImageScanComponent {
  const found = image.scan!.components.filter((c) => c.name === name && c.version === version);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The stdlib CVEs of the ../shared Go records (GO-2022-0236 … GO-2024-2687) that affect Go 1.15.2, with the first fix of each. */
const STDLIB_1_15_2 = [
  'CVE-2021-31525 1.15.12',
  'CVE-2022-2879 1.18.7',
  'CVE-2022-27664 1.18.6',
  'CVE-2022-29526 1.17.10',
  'CVE-2022-41717 1.18.9',
  'CVE-2022-41723 1.19.6',
  'CVE-2023-24534 1.19.8',
  'CVE-2023-29406 1.19.11',
  'CVE-2023-39325 1.20.10',
  'CVE-2023-45288 1.21.9',
  'CVE-2024-24783 1.21.8',
].sort();

const RUST_BINARY = 'usr/local/bin/hello-auditable';
const COMPOSER = 'var/www/html/vendor/composer/installed.json';
const WAR = 'opt/app/app.war';
const YARN_MINIMIST = 'srv/web/.yarn/cache/minimist-npm-1.2.5-ced0e1f617-c143b0c199.zip';
const PIP_TARGET_URLLIB3 = 'app/deps/urllib3-1.26.4.dist-info/METADATA';

describe('language packages in an image matched against real OSV records', () => {
  let registry: FakeRegistry;
  let advisories: MemoryAdvisoryStore;
  let service: ImageService;
  let minimist: TarEntrySpec[] | undefined;

  async function push(repository: string, layers: TarEntrySpec[][]): Promise<BuiltImage> {
    const image = await buildImage({ layers: layers.map((entries) => ({ entries })) });
    registry.putBlob(image.configBytes);
    for (const layer of image.layers) registry.putBlob(readFileSync(layer.file));
    registry.putManifest(repository, ['1'], image.manifestBytes.toString('utf8'), image.manifestMediaType);
    return image;
  }

  const request = (repository: string) => ({ imageName: `${registry.host}/${repository}:1`, force: false, includeSnoozed: false, cluster: '' });

  beforeAll(async () => {
    registry = await new FakeRegistry().start();
    advisories = new MemoryAdvisoryStore();
    const own = await importAdvisories(join(DATA, 'osv'), advisories);
    expect(own).toMatchObject({ records: 10, written: 10, malformed: 0 });
    if (sharedAvailable) {
      for (const dir of ['osv/Go', 'osv/PyPI']) expect((await importAdvisories(advisoryFixture(dir), advisories)).malformed).toBe(0);
    } else {
      warnSkipped('the Go binaries, the trivy war and the PYSEC/GO records of the language CVE test');
    }
    service = createImageService({ ...configFromEnv({}), insecureRegistries: [registry.host] }, new MemoryImageStore(), { advisories });
    minimist = await packedMinimist('usr/src/app/node_modules/minimist');

    const base: TarEntrySpec[] = [{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }, ...debianUrllib3()];
    const apps: TarEntrySpec[] = [
      ...(minimist ?? []),
      // MAL-2022-9 names every version of 0-dns, which npm has removed: the manifest is written here.
      { path: 'usr/src/app/node_modules/0-dns/package.json', content: '{\n  "name": "0-dns",\n  "version": "1.0.0"\n}\n' },
      file('usr/local/lib/python3.11/site-packages/urllib3-1.26.4.dist-info/METADATA', join(EVIDENCE, 'urllib3-1.26.4.dist-info/METADATA')),
      // pip install --target app/deps, and a Yarn Plug'n'Play app whose packages stay in their cache archives.
      file(PIP_TARGET_URLLIB3, join(EVIDENCE, 'urllib3-1.26.4.dist-info/METADATA')),
      file(YARN_MINIMIST, join(ANALYZER_DATA, 'yarn-pnp/minimist-npm-1.2.5-ced0e1f617-c143b0c199.zip')),
      { path: 'opt/app/lib/log4j-core-2.14.1.jar', content: await syntheticJar('org.apache.logging.log4j', 'log4j-core', '2.14.1') },
      {
        path: WAR,
        content: await zip([{ name: 'WEB-INF/lib/netty-handler-4.1.93.Final.jar', content: await syntheticJar('io.netty', 'netty-handler', '4.1.93.Final') }]),
      },
      file('usr/local/bundle/specifications/rack-1.6.13.gemspec', join(ANALYZER_DATA, 'gemspec/rack-1.6.13.gemspec')),
      file('usr/local/bundle/specifications/nokogiri-1.16.7-x86_64-linux.gemspec', join(ANALYZER_DATA, 'gemspec/nokogiri-1.16.7-x86_64-linux.gemspec')),
      file(RUST_BINARY, join(ANALYZER_DATA, 'rust-audit/hello-auditable'), 0o755),
      file(COMPOSER, join(ANALYZER_DATA, 'composer/composer1-installed.json')),
    ];
    if (sharedAvailable) {
      apps.push(
        file('usr/local/bin/trivy-test', peerFixture('pkgdb/gobinary/trivy-test.elf/test.elf'), 0o755),
        file('usr/local/bin/go-ldflags', peerFixture('pkgdb/gobinary/trivy-main-version-via-ldflags.elf/main-version-via-ldflags.elf'), 0o755),
        file('usr/local/tomcat/webapps/maven.war', peerFixture('pkgdb/java-jar/trivy-maven.war/maven.war')),
      );
    }
    await push('team/app', [base, apps]);
    await push('team/covered', [
      [{ path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE }],
      [...(minimist ?? []), file('usr/local/bundle/specifications/rack-1.6.13.gemspec', join(ANALYZER_DATA, 'gemspec/rack-1.6.13.gemspec'))],
    ]);
  }, 300_000);

  afterAll(async () => {
    await registry?.close();
  });

  it('reports each language package as a StackRox component at its evidence, with exactly the CVEs that affect it', async () => {
    const image = await service.scanImage(request('team/app'));
    const urllib3 = sharedAvailable ? ['CVE-2021-33503 1.26.5', 'CVE-2023-43804 1.26.17', 'CVE-2023-45803 1.26.18'] : ['CVE-2021-33503 1.26.5'];
    const expected: Record<string, string[]> = {
      'NODEJS 0-dns 1.0.0 @ usr/src/app/node_modules/0-dns/package.json': ['MAL-2022-9 -'],
      [`NODEJS minimist 1.2.5 @ ${YARN_MINIMIST}:node_modules/minimist/package.json`]: ['CVE-2021-44906 1.2.6'],
      'PYTHON urllib3 1.26.4 @ usr/local/lib/python3.11/site-packages/urllib3-1.26.4.dist-info/METADATA': urllib3,
      [`PYTHON urllib3 1.26.4 @ ${PIP_TARGET_URLLIB3}`]: urllib3,
      'JAVA org.apache.logging.log4j:log4j-core 2.14.1 @ opt/app/lib/log4j-core-2.14.1.jar': ['CVE-2021-44228 2.15.0'],
      [`JAVA io.netty:netty-handler 4.1.93.Final @ ${WAR}:WEB-INF/lib/netty-handler-4.1.93.Final.jar`]: ['CVE-2023-34462 4.1.94.Final'],
      'RUBY rack 1.6.13 @ usr/local/bundle/specifications/rack-1.6.13.gemspec': ['CVE-2022-30123 2.0.9.1'],
      'RUBY nokogiri 1.16.7 @ usr/local/bundle/specifications/nokogiri-1.16.7-x86_64-linux.gemspec': [],
      // crates.io and Packagist have no StackRox source of their own.
      ...Object.fromEntries(
        ['cfg-if 1.0.0', 'getrandom 0.2.15', 'hello-auditable 0.1.0', 'libc 0.2.155', 'mirror-crate 2.1.0', 'zerocopy 0.7.35'].map((c) => [
          `INFRASTRUCTURE ${c} @ ${RUST_BINARY}`,
          [],
        ]),
      ),
      ...Object.fromEntries(
        ['guzzlehttp/guzzle 6.5.5', 'guzzlehttp/psr7 1.6.1', 'monolog/monolog 1.25.5', 'symfony/http-foundation 4.4.13'].map((c) => [
          `INFRASTRUCTURE ${c} @ ${COMPOSER}`,
          [],
        ]),
      ),
    };
    if (minimist) expected['NODEJS minimist 1.2.5 @ usr/src/app/node_modules/minimist/package.json'] = ['CVE-2021-44906 1.2.6'];
    if (sharedAvailable) {
      Object.assign(expected, {
        'GO stdlib 1.15.2 @ usr/local/bin/trivy-test': STDLIB_1_15_2,
        'GO github.com/aquasecurity/go-pep440-version v0.0.0-20210121094942-22b2f8951d46 @ usr/local/bin/trivy-test': [],
        'GO github.com/aquasecurity/go-version v0.0.0-20210121072130-637058cfe492 @ usr/local/bin/trivy-test': [],
        'GO golang.org/x/xerrors v0.0.0-20200804184101-5ec99f83aff1 @ usr/local/bin/trivy-test': [],
        // GO-2024-2598 is fixed in exactly 1.22.1; GO-2024-2687 only in 1.22.2.
        'GO stdlib 1.22.1 @ usr/local/bin/go-ldflags': ['CVE-2023-45288 1.22.2'],
        'JAVA com.example:web-app 1.0-SNAPSHOT @ usr/local/tomcat/webapps/maven.war': [],
        'JAVA com.fasterxml.jackson.core:jackson-databind 2.9.10.6 @ usr/local/tomcat/webapps/maven.war:WEB-INF/lib/jackson-databind-2.9.10.6.jar': [
          'CVE-2020-36518 2.12.6.1',
        ],
        'JAVA com.fasterxml.jackson.core:jackson-annotations 2.9.10 @ usr/local/tomcat/webapps/maven.war:WEB-INF/lib/jackson-annotations-2.9.10.jar': [],
        'JAVA com.fasterxml.jackson.core:jackson-core 2.9.10 @ usr/local/tomcat/webapps/maven.war:WEB-INF/lib/jackson-core-2.9.10.jar': [],
        'JAVA org.glassfish:javax.el 3.0.0 @ usr/local/tomcat/webapps/maven.war:WEB-INF/lib/javax.el-3.0.0.jar': [],
        'JAVA com.cronutils:cron-utils 9.1.2 @ usr/local/tomcat/webapps/maven.war:WEB-INF/lib/cron-utils-9.1.2.jar': ['CVE-2021-41269 9.1.6'],
        'JAVA org.apache.commons:commons-lang3 3.11 @ usr/local/tomcat/webapps/maven.war:WEB-INF/lib/commons-lang3-3.11.jar': [],
        'JAVA org.slf4j:slf4j-api 1.7.30 @ usr/local/tomcat/webapps/maven.war:WEB-INF/lib/slf4j-api-1.7.30.jar': [],
      });
    }
    expect(languageFindings(image)).toEqual(expected);

    // Language packages are in the layer that added them, and carry the highest fix among their CVEs.
    const rack = component(image, 'rack', '1.6.13');
    expect(rack).toMatchObject({ source: 'RUBY', layerIndex: 1, fixedBy: '2.0.9.1' });
    // The record names no ADVISORY reference and no CVSS vector (NVD's are not loaded here).
    expect(rack.vulns[0]).toMatchObject({
      cve: 'CVE-2022-30123',
      link: 'https://osv.dev/vulnerability/GHSA-wq4h-7r42-5hrr',
      cvss: 0,
      severity: 'IMPORTANT_VULNERABILITY_SEVERITY',
    });
    const log4j = component(image, 'org.apache.logging.log4j:log4j-core', '2.14.1');
    expect(log4j.vulns[0]).toMatchObject({ cvss: 10, severity: 'CRITICAL_VULNERABILITY_SEVERITY', link: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228' });
    if (sharedAvailable) expect(component(image, 'stdlib', '1.15.2').fixedBy).toBe('1.21.9');

    const all = image.scan!.components.flatMap((c) => c.vulns.map((v) => v.cve));
    // GHSA-57m8-f3v5-hm5m was imported (and is remembered as withdrawn) but matches nothing.
    expect(all).not.toContain('CVE-2023-4586');
    expect((await advisories.getAdvisories(['GHSA-57m8-f3v5-hm5m'])).get('GHSA-57m8-f3v5-hm5m')?.withdrawn).toBe('2023-11-01T17:54:21Z');
    // The malicious-package record has no CVE: it is reported under its own id, not its GHSA alias.
    expect(all).not.toContain('GHSA-8p6v-2gf9-8hhm');
  });

  it('does not report a Python distribution that a dpkg package owns as a PYTHON component', async () => {
    const image = await service.scanImage(request('team/app'));
    expect(image.scan!.components.filter((c) => c.name === 'urllib3').map((c) => [c.version, c.source, c.location])).toEqual([
      ['1.26.4', 'PYTHON', 'usr/local/lib/python3.11/site-packages/urllib3-1.26.4.dist-info/METADATA'],
      ['1.26.4', 'PYTHON', PIP_TARGET_URLLIB3],
    ]);
    // The Debian package is there, as an OS component of its own (Debian advisories are not loaded here).
    expect(component(image, 'python3-urllib3', '1.26.12-1+deb12u4')).toMatchObject({ source: 'OS', location: '', vulns: [] });
    const stored = await service.inventoryOf(request('team/app'));
    const owned = stored.inventory.packages.find((p) => p.ecosystem === 'PyPI' && p.version === '1.26.12');
    expect(owned?.owner).toEqual({ manager: 'dpkg', name: 'python3-urllib3' });
  });

  it('says LANGUAGE_CVES_UNAVAILABLE when an ecosystem of the image has no advisories in the store, and not otherwise', async () => {
    const app = await service.scanImage(request('team/app'));
    expect(app.scan!.notes).toEqual(['OS_CVES_UNAVAILABLE', 'LANGUAGE_CVES_UNAVAILABLE', 'PARTIAL_SCAN_DATA']);
    const match = await matchInventory((await service.inventoryOf(request('team/app'))).inventory, advisories);
    expect(match.languageAdvisoriesUnavailable).toEqual(['Packagist']);
    expect(match.warnings).toEqual([]);

    const covered = await service.scanImage(request('team/covered'));
    expect(covered.scan!.notes).toEqual([]);
    expect(component(covered, 'rack', '1.6.13').vulns.map((v) => v.cve)).toEqual(['CVE-2022-30123']);
  });

  it('the real records decide the versions around their boundaries as OSV defines them', () => {
    const records = (dir: string, id: string) => JSON.parse(readFileSync(join(DATA, 'osv', dir, `${id}.json`), 'utf8')) as Osv;
    const verdict = (osv: Osv, version: string) => {
      const ecosystem = osv.affected![0].package!.ecosystem;
      const hits = osv.affected!.map((entry) => affectedVerdict(version, entry, (a, b) => compareVersions(ecosystem, a, b))).filter((v) => v.affected);
      return hits.length === 0 ? 'not affected' : `fixed by ${hits.map((h) => h.fixedBy ?? '-').join(', ')}`;
    };
    const zerocopy = records('crates.io', 'RUSTSEC-2023-0074');
    expect(['0.2.1', '0.2.2', '0.6.5', '0.6.6', '0.7.30', '0.7.31', '0.7.35'].map((v) => verdict(zerocopy, v))).toEqual([
      'not affected',
      'fixed by 0.2.9',
      'fixed by 0.6.6',
      'not affected',
      'fixed by 0.7.31',
      'not affected',
      'not affected',
    ]);
    const rack = records('RubyGems', 'GHSA-wq4h-7r42-5hrr');
    expect(['1.6.13', '2.0.9', '2.0.9.1', '2.1', '2.1.4', '2.2.3', '2.2.3.1', '3.0.0'].map((v) => verdict(rack, v))).toEqual([
      'fixed by 2.0.9.1',
      'fixed by 2.0.9.1',
      'not affected',
      'fixed by 2.1.4.1',
      'fixed by 2.1.4.1',
      'fixed by 2.2.3.1',
      'not affected',
      'not affected',
    ]);
    const netty = records('Maven', 'GHSA-6mjq-h674-j845');
    expect(['4.1.93.Final', '4.1.94.Final', '4.1.94', '4.1.94.Final-SNAPSHOT'].map((v) => verdict(netty, v))).toEqual([
      'fixed by 4.1.94.Final',
      'not affected',
      'not affected',
      'fixed by 4.1.94.Final',
    ]);
    const log4j = records('Maven', 'GHSA-jfh8-c2jp-5v3q');
    expect(['2.0-beta9', '2.3', '2.3.1', '2.12.1', '2.12.2', '2.14.1', '2.15.0'].map((v) => verdict(log4j, v))).toEqual([
      'fixed by 2.3.1',
      'fixed by 2.3.1',
      'not affected',
      'fixed by 2.12.2',
      'not affected',
      'fixed by 2.15.0',
      'not affected',
    ]);
  });
});
