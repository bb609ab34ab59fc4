import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startLocalMode, type LocalMode } from '../../lib/local/local-mode';
import { configFromEnv } from '../../lib/config';
import { buildImage, pushImage, type BuiltImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { SHARED_DIR } from '../support/shared-fixtures';
import { errorsOf, loadValidators } from '../sbom/schemas';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const schemasAvailable = existsSync(join(SHARED_DIR, 'schemas'));
if (!registryAvailable()) console.warn('SKIPPED SBOM route tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');
if (!schemasAvailable) console.warn(`SKIPPED SBOM schema validation in the route tests: ${join(SHARED_DIR, 'schemas')} is absent`);

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
const STATUS = [
  'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u5\n',
  'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\n',
  'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n',
].join('\n');

(registryAvailable() ? describe : describe.skip)('POST /api/v1/images/sbom, as roxctl image sbom asks it', () => {
  let registry: TestRegistry;
  let local: LocalMode;
  let dataDir: string;
  let image: BuiltImage;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-sbom-api-'));
    registry = await startRegistry({ auth: 'none' });
    const config = { ...configFromEnv({}), dataDir, insecureRegistries: [registry.host] };
    local = await startLocalMode({ config, env: {}, port: 0, host: '127.0.0.1' });
    image = await buildImage({
      layers: [
        {
          entries: [
            { path: 'etc/os-release', content: OS_RELEASE },
            { path: 'var/lib/dpkg/status', content: STATUS },
          ],
        },
      ],
    });
    await pushImage(registry, 'team/sbom', '1', image);
  }, 120_000);

  afterAll(async () => {
    await local?.stop();
    await registry?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const sbom = (body: unknown) =>
    fetch(`${local.url}/api/v1/images/sbom`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });

  it('answers the SPDX 2.3 document of the image, scanning it first, then from the store by digest', async () => {
    const res = await sbom({ imageName: `${registry.host}/team/sbom:1` });
    expect(res.status).toBe(200);
    const doc: Json = await res.json();
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    if (schemasAvailable) {
      const { spdx } = loadValidators();
      expect(spdx(doc) ? [] : errorsOf(spdx)).toEqual([]);
    }
    const purls = doc.packages.flatMap((p: Json) => (p.externalRefs ?? []).map((r: Json) => r.referenceLocator)).sort();
    expect(purls).toEqual(
      [
        'pkg:deb/debian/base-files@12.4+deb12u5?arch=amd64&distro=debian-12',
        'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12',
        expect.stringMatching(/^pkg:deb\/debian\/zlib1g@1(%3A|:)1\.2\.13\.dfsg-1\?arch=amd64&distro=debian-12$/),
        expect.stringMatching(new RegExp(`^pkg:oci/sbom@${image.manifestDigest.replace(':', '(%3A|:)')}`)),
      ].sort((a, b) => String(a).localeCompare(String(b))),
    );
    const described = doc.packages.find((p: Json) => p.SPDXID === doc.documentDescribes[0]);
    expect(described.versionInfo).toBe(image.manifestDigest);

    // Snake case, as older clients send it; by digest: answered from the store.
    const byDigest = await sbom({ image_name: `${registry.host}/team/sbom@${image.manifestDigest}` });
    expect(byDigest.status).toBe(200);
    expect(((await byDigest.json()) as Json).packages).toHaveLength(4);
  });

  it('answers errors as ScanImage does: 400 / code 3, 404 / code 5, unknown cluster, other methods', async () => {
    const empty = await sbom({});
    expect(empty.status).toBe(400);
    expect((await empty.json()) as Json).toMatchObject({ code: 3, message: 'image name must be specified: invalid arguments', details: [] });

    const malformed = await sbom('{"imageName": ');
    expect(malformed.status).toBe(400);

    const missing = await sbom({ imageName: `${registry.host}/team/sbom:nope` });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Json).code).toBe(5);

    const cluster = await sbom({ imageName: `${registry.host}/team/sbom:1`, cluster: 'remote' });
    expect(cluster.status).toBe(404);
    expect(((await cluster.json()) as Json).message).toBe('cluster "remote" not found, ensure cluster exists and have access: not found');

    const get = await fetch(`${local.url}/api/v1/images/sbom`);
    expect(get.status).toBe(501);
  });

  it('lamina scan --format spdx|cyclonedx prints the SBOM; an unknown format is a usage error', async () => {
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    const options = { cwd: ROOT, env: { ...process.env, LAMINA_DATA_DIR: join(dataDir, 'cli') } };
    const name = `${registry.host}/team/sbom:1`;
    const spdx = JSON.parse(
      (await run('node', ['dist/bin/lamina.js', 'scan', name, '--insecure-registry', registry.host, '--format', 'spdx'], options)).stdout,
    );
    expect(spdx.spdxVersion).toBe('SPDX-2.3');
    expect(spdx.name).toContain('team/sbom:1');
    const cdx = JSON.parse((await run('node', ['dist/bin/lamina.js', 'scan', name, '--insecure-registry', registry.host, '-f', 'cyclonedx'], options)).stdout);
    expect(cdx).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
    expect(cdx.metadata.component.type).toBe('container');
    expect(cdx.components.filter((c: Json) => c.type === 'library')).toHaveLength(3);
    if (schemasAvailable) {
      const validators = loadValidators();
      expect(validators.spdx(spdx) ? [] : errorsOf(validators.spdx)).toEqual([]);
      expect(validators.cyclonedx(cdx) ? [] : errorsOf(validators.cyclonedx)).toEqual([]);
    }
    const json = JSON.parse(
      (await run('node', ['dist/bin/lamina.js', 'scan', name, '--insecure-registry', registry.host, '--format', 'json'], options)).stdout,
    );
    expect(json.id).toBe(image.manifestDigest);

    const bad = await run('node', ['dist/bin/lamina.js', 'scan', name, '--format', 'xml'], options).catch((err) => err);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be one of table, json, sarif, cyclonedx, spdx');
  }, 120_000);
});
