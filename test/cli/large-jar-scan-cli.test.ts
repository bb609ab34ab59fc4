import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openZip, readZipEntry, zipEntries } from '../../lib/analyzers/java/zip';
import { mavenJar, zipOf } from '../support/archives';
import { buildImage, pushImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { peerFixture, sharedAvailable, warnSkipped } from '../support/shared-fixtures';

/*
 * A Spring Boot jar over 64 MiB, the size past which lamina once left a Java archive unread: the real built CLI,
 * spawned, scans it through a real registry. Its BOOT-INF/lib holds the real jars of trivy's maven.war test fixture
 * (../shared/fixtures/peers/pkgdb/java-jar/trivy-maven.war) and padding jars; the advisories are the real OSV records
 * in test/scan/data/osv/Maven. The jar is read from a spool file in the CLI's temporary directory.
 */

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/bin/lamina.js');
const WAR = peerFixture('pkgdb/java-jar/trivy-maven.war/maven.war');
const MIB = 1024 * 1024;
const available = registryAvailable() && sharedAvailable;
if (!registryAvailable()) console.warn('SKIPPED the large jar CLI scan: /usr/bin/docker-registry is not installed (npm test installs it as root)');
else if (!sharedAvailable) warnSkipped('the large jar CLI scan');

interface Component {
  name: string;
  version: string;
  source: string;
  location: string;
  vulns: Array<{ cve: string; fixedBy?: string }>;
}

/** The real war's WEB-INF/lib jars, as they are. */
function warLibraries(): Array<{ name: string; content: Buffer }> {
  const war = readFileSync(WAR);
  return [...zipEntries(war, openZip(war))]
    .filter((entry) => entry.name.startsWith('WEB-INF/lib/') && entry.name.endsWith('.jar'))
    .map((entry) => ({ name: entry.name.slice('WEB-INF/lib/'.length), content: Buffer.from(readZipEntry(war, entry)) }));
}

(available ? describe : describe.skip)('lamina scan of an image with a Spring Boot jar over 64 MiB', () => {
  let dataDir: string;
  let spoolDir: string;
  let registry: TestRegistry;
  let image: string;
  let jarBytes: number;

  const lamina = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      const env = { ...process.env, LAMINA_DATA_DIR: dataDir, TMPDIR: spoolDir };
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.end();
      child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-large-jar-'));
    spoolDir = await mkdtemp(join(tmpdir(), 'lamina-large-jar-spool-'));
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 180_000 }).catch(() => undefined);
    expect(existsSync(CLI)).toBe(true);
    // Padding jars of zeros, stored as Spring Boot stores its libraries: the layer's gzip makes them nearly nothing.
    const padding = await Promise.all(
      Array.from({ length: 9 }, async (_, i) => ({
        name: `BOOT-INF/lib/padding-${i}-1.0.0.jar`,
        content: await mavenJar('com.example.padding', `padding-${i}`, '1.0.0', [{ name: 'data.bin', content: Buffer.alloc(8 * MIB), compress: false }]),
        compress: false,
      })),
    );
    const jar = await zipOf([
      { name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.launch.JarLauncher\r\n\r\n' },
      { name: 'META-INF/maven/com.example/shop/pom.properties', content: 'groupId=com.example\nartifactId=shop\nversion=3.1.0\n' },
      { name: 'BOOT-INF/classes/application.properties', content: 'server.port=8080\n' },
      ...warLibraries().map((library) => ({ name: `BOOT-INF/lib/${library.name}`, content: library.content, compress: false })),
      ...padding,
    ]);
    jarBytes = jar.length;
    registry = await startRegistry({ auth: 'none' });
    // An OS lamina knows (with no OS packages): without one, the scan would carry OS_UNAVAILABLE and so be partial.
    const osRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
    const built = await buildImage({
      layers: [
        {
          entries: [
            { path: 'etc/os-release', content: osRelease },
            { path: 'opt/shop/shop.jar', content: jar },
          ],
        },
      ],
    });
    await pushImage(registry, 'team/shop', '3.1.0', built);
    image = `${registry.host}/team/shop:3.1.0`;
    const imported = await lamina(['db', 'import', '--quiet', join(__dirname, '../scan/data/osv/Maven')]);
    expect(imported.code).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(spoolDir, { recursive: true, force: true });
  });

  it('reports the jar and every library in it, with their CVEs, and leaves no spool file behind', async () => {
    expect(jarBytes).toBeGreaterThan(64 * MIB);
    const outcome = await lamina(['scan', image, '--format', 'json']);
    expect(outcome.code).toBe(0);
    const scan = JSON.parse(outcome.stdout).scan;
    const components = scan.components as Component[];
    const at = (name: string) => components.find((component) => component.name === name);
    expect(at('com.example:shop')).toMatchObject({ version: '3.1.0', source: 'JAVA', location: 'opt/shop/shop.jar' });
    expect(at('com.fasterxml.jackson.core:jackson-databind')).toMatchObject({
      version: '2.9.10.6',
      location: 'opt/shop/shop.jar:BOOT-INF/lib/jackson-databind-2.9.10.6.jar',
    });
    expect(at('com.fasterxml.jackson.core:jackson-databind')?.vulns.map((v) => [v.cve, v.fixedBy])).toEqual([['CVE-2020-36518', '2.12.6.1']]);
    expect(at('com.cronutils:cron-utils')?.vulns.map((v) => [v.cve, v.fixedBy])).toEqual([['CVE-2021-41269', '9.1.6']]);
    expect(components.filter((component) => component.name.startsWith('com.example.padding:'))).toHaveLength(9);
    // Read whole: nothing skipped for its size, and the scan is complete.
    expect(JSON.stringify(scan)).not.toMatch(/limit for one archive|budget/);
    expect(scan.operatingSystem).toBe('debian:12');
    expect(scan.notes ?? []).toEqual([]);
    expect(await readdir(spoolDir)).toEqual([]);
  }, 120_000);
});
