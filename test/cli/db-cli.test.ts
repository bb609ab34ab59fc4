import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildImage, pushImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { ADVISORIES_DIR, advisoriesAvailable, warnSkipped } from '../support/shared-fixtures';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const ADVISORIES = ADVISORIES_DIR;
const haveFixtures = advisoriesAvailable;
if (!haveFixtures) warnSkipped('lamina db CLI tests on real advisories', ADVISORIES);

const APK_INSTALLED = ['P:musl', 'V:1.2.4-r2', 'A:x86_64', 'o:musl', '', 'P:busybox', 'V:1.36.1-r5', 'A:x86_64', 'o:busybox', ''].join('\n');

(haveFixtures ? describe : describe.skip)('lamina db', () => {
  let dataDir: string;
  let registry: TestRegistry | undefined;
  const lamina = (args: string[]) =>
    run('node', ['dist/bin/lamina.js', ...args], { cwd: ROOT, env: { ...process.env, LAMINA_DATA_DIR: dataDir }, maxBuffer: 64 * 1024 * 1024 });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-db-cli-'));
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    if (registryAvailable()) registry = await startRegistry({ auth: 'none' });
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('imports OSV records and NVD responses, counting and skipping malformed files', async () => {
    const extra = join(dataDir, 'extra');
    await mkdir(extra);
    await writeFile(join(extra, 'broken.json'), '{"id": "GHSA-broken", ');
    await writeFile(join(extra, 'no-id.json'), JSON.stringify({ modified: '2024-01-01T00:00:00Z' }));

    const osv = await lamina(['db', 'import', join(ADVISORIES, 'osv'), join(ADVISORIES, 'nvd'), extra]);
    const lines = osv.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/\/osv: (\d+) records read, \1 written, 0 unchanged, 0 malformed, 0 CVSS updates in [\d.]+ s \(\d+ records\/s\)$/);
    expect(lines[1]).toMatch(/\/nvd: 0 records read, 0 written, 0 unchanged, 0 malformed, 4 CVSS updates in /);
    expect(lines[2]).toMatch(/\/extra: 0 records read, 0 written, 0 unchanged, 2 malformed, 0 CVSS updates in /);
    expect(lines[3]).toMatch(/^advisory data version [1-9]\d*$/);
    expect(osv.stderr).toMatch(/skipped malformed .*broken\.json: /);

    // Importing the same data again changes nothing, and says so.
    const again = await lamina(['db', 'import', '--quiet', join(ADVISORIES, 'osv')]);
    expect(again.stdout).toMatch(/: (\d+) records read, 0 written, \1 unchanged, /);
    expect(again.stdout.split('\n')[1]).toBe(lines[3]);
    const { stdout: status, stderr: statusErr } = await lamina(['db', 'status']);
    expect(statusErr).not.toMatch(/warning/);
    expect(status).toMatch(new RegExp(`^${lines[3]} \\(`));
    // Which ecosystems the data covers, each with its records and last update; just imported, so no warnings.
    expect(status).toMatch(/\n {2}Alpine:v3\.\d+ +[\d,]+ records? {2}last updated \d{4}-\d\d-\d\dT/);
    expect(status).toMatch(/\n {2}Debian:\d+ +[\d,]+ records? {2}last updated /);
  }, 300_000);

  it('refuses a path that does not exist, and an unknown subcommand', async () => {
    const missing = await lamina(['db', 'import', join(dataDir, 'nope')]).catch((err) => err);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope: no such file or directory/);
    const unknown = await lamina(['db', 'frobnicate']).catch((err) => err);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown db command "frobnicate"/);
  });

  (registryAvailable() ? it : it.skip)(
    'lamina scan matches against the imported advisories',
    async () => {
      const image = await buildImage({
        layers: [
          {
            entries: [
              { path: 'etc/alpine-release', content: '3.18.4\n' },
              { path: 'lib/apk/db/installed', content: APK_INSTALLED },
            ],
          },
        ],
      });
      await pushImage(registry!, 'team/alpine', '3.18', image);
      const { stdout } = await lamina(['scan', `${registry!.host}/team/alpine:3.18`, '--insecure-registry', registry!.host]);
      const result = JSON.parse(stdout);
      expect(result.scan.operatingSystem).toBe('alpine:v3.18');
      expect(result.scan.notes).toEqual([]);
      const musl = result.scan.components.find((c: { name: string }) => c.name === 'musl');
      expect(musl.vulns.map((v: { cve: string; fixedBy: string }) => `${v.cve} ${v.fixedBy}`)).toEqual(['CVE-2025-26519 1.2.4-r3']);
      expect(musl.fixedBy).toBe('1.2.4-r3');
      expect(result.cves).toBe(1);
      expect(result.fixableCves).toBe(1);
    },
    120_000,
  );
});
