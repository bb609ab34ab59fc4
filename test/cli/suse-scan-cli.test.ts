import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildImage, pushImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';

/*
 * A SUSE Linux Micro 6.0 image scanned as a user scans one: rpm packages built by rpmbuild from a spec named as
 * SUSE's samba (binary samba-client-libs from source samba), installed into an rpm database by Debian's rpm, pushed
 * to a real registry, and `lamina scan` run against SUSE's real VEX document for CVE-2023-5568 loaded by
 * `lamina db import` (see test/vulndb/sources/data/suse/PROVENANCE.md).
 */

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/bin/lamina.js');
const VEX = join(ROOT, 'test/vulndb/sources/data/suse/cve-2023-5568.json.gz');
const haveRpm = spawnSync('rpmbuild', ['--version']).status === 0 && spawnSync('rpm', ['--version']).status === 0;
const available = registryAvailable() && haveRpm;
if (!registryAvailable()) console.warn('SKIPPED SUSE image scan: /usr/bin/docker-registry is not installed (npm test installs it as root)');
else if (!haveRpm) console.warn('SKIPPED SUSE image scan: rpmbuild is absent (apt-get install -y rpm to run it)');

const VERSION = '4.19.4+git.339.acf1ccaa02';
/** SUSE's fix on SUSE Linux Micro 6.0 is release 1.22. */
const FIXED = `${VERSION}-1.22`;

const SPEC = `Name: samba
Version: ${VERSION}
Release: %{rel}
Summary: The samba source package, as SUSE names it
License: GPL-3.0-or-later
BuildArch: noarch

%description
Stands for SUSE's samba.

%package client-libs
Summary: Samba client libraries

%description client-libs
Stands for SUSE's samba-client-libs.

%install
mkdir -p %{buildroot}/usr/share/samba-client-libs
echo libs > %{buildroot}/usr/share/samba-client-libs/README

%files client-libs
/usr/share/samba-client-libs/README
`;

const OS_RELEASE = 'NAME="SUSE Linux Micro"\nVERSION="6.0"\nID="sl-micro"\nID_LIKE="suse"\nVERSION_ID="6.0"\nPRETTY_NAME="SUSE Linux Micro 6.0"\n';

function sh(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

(available ? describe : describe.skip)('lamina scan of a SUSE Linux Micro 6.0 image with SUSE’s VEX loaded', () => {
  let work: string;
  let dataDir: string;
  let registry: TestRegistry;

  /** The rpm database of an image holding samba-client-libs at `release`. */
  function rpmDatabase(release: string): Buffer {
    sh('rpmbuild', ['--quiet', '--define', `_topdir ${work}`, '--define', `rel ${release}`, '-bb', join(work, 'SPECS/samba.spec')]);
    const rpm = join(work, `RPMS/noarch/samba-client-libs-${VERSION}-${release}.noarch.rpm`);
    const root = join(work, `root-${release}`);
    const defines = ['--define', '_db_backend sqlite', '--define', '_dbpath /usr/lib/sysimage/rpm'];
    sh('rpm', ['--root', root, ...defines, '--initdb']);
    sh('rpm', ['--root', root, ...defines, '-i', '--justdb', '--nodeps', '--noscripts', rpm]);
    return readFileSync(join(root, 'usr/lib/sysimage/rpm/rpmdb.sqlite'));
  }

  async function imageWith(release: string): Promise<string> {
    const built = await buildImage({
      layers: [
        {
          entries: [
            { path: 'etc/os-release', content: OS_RELEASE },
            { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', content: rpmDatabase(release) },
          ],
        },
      ],
    });
    await pushImage(registry, 'suse/micro', release, built);
    return `${registry.host}/suse/micro:${release}`;
  }

  const lamina = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, LAMINA_DATA_DIR: dataDir } });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const failed = err as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lamina-suse-scan-'));
    dataDir = join(work, 'data');
    mkdirSync(join(work, 'SPECS'));
    writeFileSync(join(work, 'SPECS/samba.spec'), SPEC);
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 180_000 }).catch(() => undefined);
    expect(existsSync(CLI)).toBe(true);
    registry = await startRegistry({ auth: 'none' });
    const imported = await lamina(['db', 'import', '--quiet', VEX]);
    expect(imported.code).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reports CVE-2023-5568 on samba-client-libs below SUSE’s fix, with the fix and SUSE’s rating, in StackRox’s shape', async () => {
    const scanned = await lamina(['scan', await imageWith('1.21'), '--format', 'json']);
    expect(scanned.code).toBe(0);
    const image = JSON.parse(scanned.stdout);
    expect(image.scan.operatingSystem).toBe('sl-micro:6.0');
    expect(image.scan.notes ?? []).not.toContain('OS_CVES_UNAVAILABLE');
    const component = image.scan.components.find((c: { name: string }) => c.name === 'samba-client-libs');
    expect(component).toMatchObject({ version: `${VERSION}-1.21`, source: 'OS', fixedBy: FIXED });
    expect(component.vulns).toHaveLength(1);
    expect(component.vulns[0]).toMatchObject({
      cve: 'CVE-2023-5568',
      fixedBy: FIXED,
      severity: 'MODERATE_VULNERABILITY_SEVERITY',
      link: 'https://www.suse.com/security/cve/CVE-2023-5568.html',
      cvss: 6.5,
    });
  }, 120_000);

  it('reports nothing for the fixed build', async () => {
    const scanned = await lamina(['scan', await imageWith('1.22'), '--format', 'json']);
    expect(scanned.code).toBe(0);
    const component = JSON.parse(scanned.stdout).scan.components.find((c: { name: string }) => c.name === 'samba-client-libs');
    expect(component).toMatchObject({ version: FIXED, vulns: [], fixedBy: '' });
  }, 120_000);
});
