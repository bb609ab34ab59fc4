import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { dockerArchiveMembers, ociLayoutMembers, writeDirectory, writeTar } from '../image/archive/archive-writer';
import { buildImage, pushImage } from '../support/image-builder';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import { ADVISORIES_DIR, advisoriesAvailable, SHARED_DIR, warnSkipped } from '../support/shared-fixtures';

/*
 * `lamina scan` as a CI pipeline runs it: the real built CLI, spawned, against a real registry and an advisory
 * store loaded by `lamina db import` from the real Alpine record ALPINE-CVE-2025-26519 (musl, fixed in 1.2.4-r3).
 */

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/bin/lamina.js');
const available = registryAvailable() && advisoriesAvailable;
if (!registryAvailable()) console.warn('SKIPPED lamina scan CLI tests: /usr/bin/docker-registry is not installed (npm test installs it as root)');
else if (!advisoriesAvailable) warnSkipped('lamina scan CLI tests', ADVISORIES_DIR);

const APK_INSTALLED = ['P:musl', 'V:1.2.4-r2', 'A:x86_64', 'o:musl', 'L:MIT', '', 'P:busybox', 'V:1.36.1-r5', 'A:x86_64', 'o:busybox', ''].join('\n');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

(available ? describe : describe.skip)('lamina scan for CI pipelines', () => {
  let dataDir: string;
  let emptyDir: string;
  let registry: TestRegistry;
  let image: string;
  let built: Awaited<ReturnType<typeof buildImage>>;

  const lamina = (args: string[], options: { dataDir?: string; stdin?: string } = {}): Promise<Outcome> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, LAMINA_DATA_DIR: options.dataDir ?? dataDir } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.end(options.stdin ?? '');
      child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-scan-cli-'));
    emptyDir = await mkdtemp(join(tmpdir(), 'lamina-scan-cli-empty-'));
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 180_000 }).catch(() => undefined);
    expect(existsSync(CLI)).toBe(true);
    registry = await startRegistry({ auth: 'none' });
    built = await buildImage({
      layers: [
        {
          entries: [
            { path: 'etc/alpine-release', content: '3.18.4\n' },
            { path: 'lib/apk/db/installed', content: APK_INSTALLED },
          ],
        },
      ],
    });
    await pushImage(registry, 'team/alpine', '3.18', built);
    image = `${registry.host}/team/alpine:3.18`;
    const imported = await lamina(['db', 'import', '--quiet', join(ADVISORIES_DIR, 'osv', 'Alpine')]);
    expect(imported.code).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(emptyDir, { recursive: true, force: true });
  });

  it('prints a table of every finding with counts, readable at 80 columns, and JSON when stdout is not a terminal', async () => {
    const table = await lamina(['scan', image, '--format', 'table']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('CVE-2025-26519');
    expect(table.stdout).toMatch(/musl/);
    expect(table.stdout).toContain('1.2.4-r3');
    expect(table.stdout.split('\n').every((line) => line.length <= 80)).toBe(true);
    const json = await lamina(['scan', image]);
    expect(JSON.parse(json.stdout).scan.components.find((c: { name: string }) => c.name === 'musl').vulns[0].cve).toBe('CVE-2025-26519');
  }, 60_000);

  it('gates on findings with --exit-code, after --severity and --ignore-unfixed', async () => {
    expect((await lamina(['scan', image, '--format', 'json', '--exit-code', '3'])).code).toBe(3);
    const critical = await lamina(['scan', image, '--format', 'json', '--exit-code', '3', '--severity', 'CRITICAL']);
    const severity = JSON.parse((await lamina(['scan', image, '--format', 'json'])).stdout).scan.components.find((c: { name: string }) => c.name === 'musl')
      .vulns[0].severity as string;
    expect(critical.code).toBe(severity === 'CRITICAL_VULNERABILITY_SEVERITY' ? 3 : 0);
    // Fixed in 1.2.4-r3: --ignore-unfixed keeps it.
    expect((await lamina(['scan', image, '--format', 'json', '--exit-code', '4', '--ignore-unfixed'])).code).toBe(4);
    const bad = await lamina(['scan', image, '--severity', 'SEVERE']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lamina: --severity: /);
  }, 60_000);

  it('an ignore file hides a CVE with a reason; an expired entry hides nothing and is reported', async () => {
    const ignore = join(dataDir, 'ignore.yaml');
    await writeFile(ignore, 'ignore:\n  - id: CVE-2025-26519\n    reason: iconv is not used by this service\n    expires: 2999-12-31\n');
    const hidden = await lamina(['scan', image, '--format', 'json', '--exit-code', '5', '--ignore-file', ignore]);
    expect(hidden.code).toBe(0);
    await writeFile(ignore, 'ignore:\n  - id: CVE-2025-26519\n    reason: accepted until the upgrade\n    expires: 2020-01-01\n');
    const expired = await lamina(['scan', image, '--format', 'json', '--exit-code', '5', '--ignore-file', ignore]);
    expect(expired.code).toBe(5);
    expect(expired.stderr).toContain('the ignore entry for CVE-2025-26519 expired');
    await writeFile(ignore, 'ignore:\n  - id: CVE-2025-26519\n');
    const malformed = await lamina(['scan', image, '--ignore-file', ignore]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('reason is required');
  }, 60_000);

  it('a CVE snoozed through lamina serve on the same data directory is hidden unless --include-snoozed', async () => {
    const serve = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...process.env, LAMINA_DATA_DIR: dataDir, PORT: '0' } });
    const url = await new Promise<string>((done) => {
      serve.stdout.on('data', (chunk: Buffer) => {
        const line = chunk
          .toString()
          .split('\n')
          .find((l) => l.includes('lamina listening'));
        if (line) done(String((JSON.parse(line) as { url: string }).url));
      });
    });
    const suppress = (path: string, body: object) => fetch(`${url}${path}`, { method: 'PATCH', body: JSON.stringify(body) });
    expect((await suppress('/v1/imagecves/suppress', { cves: ['CVE-2025-26519'], duration: '0s' })).status).toBe(200);
    const exited = new Promise((done) => serve.once('exit', done));
    serve.kill('SIGTERM');
    await exited;
    try {
      expect((await lamina(['scan', image, '--format', 'json', '--exit-code', '3'])).code).toBe(0);
      const included = await lamina(['scan', image, '--format', 'json', '--exit-code', '3', '--include-snoozed']);
      expect(included.code).toBe(3);
      const vuln = JSON.parse(included.stdout).scan.components.find((c: { name: string }) => c.name === 'musl').vulns[0];
      expect(vuln).toMatchObject({ cve: 'CVE-2025-26519', suppressed: true });
    } finally {
      // Unsnoozed again for the other tests: straight through the CLI's own data directory would need serve again.
      const again = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...process.env, LAMINA_DATA_DIR: dataDir, PORT: '0' } });
      const againUrl = await new Promise<string>((done) => {
        again.stdout.on('data', (chunk: Buffer) => {
          const line = chunk
            .toString()
            .split('\n')
            .find((l) => l.includes('lamina listening'));
          if (line) done(String((JSON.parse(line) as { url: string }).url));
        });
      });
      await fetch(`${againUrl}/v1/imagecves/unsuppress`, { method: 'PATCH', body: JSON.stringify({ cves: ['CVE-2025-26519'] }) });
      const stopped = new Promise((done) => again.once('exit', done));
      again.kill('SIGTERM');
      await stopped;
    }
  }, 120_000);

  it('writes SARIF 2.1.0 to a file with -o, valid against the official schema', async () => {
    const out = join(dataDir, 'report.sarif');
    const sarif = await lamina(['scan', image, '-f', 'sarif', '-o', out]);
    expect(sarif.code).toBe(0);
    expect(sarif.stdout).toBe('');
    const log = JSON.parse(await readFile(out, 'utf8'));
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toContain('CVE-2025-26519');
    const schemaPath = join(SHARED_DIR, 'schemas', 'sarif-2.1.0.schema.json');
    if (!existsSync(schemaPath)) {
      console.warn(`SKIPPED SARIF schema validation: ${schemaPath} is absent`);
      return;
    }
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(await readFile(schemaPath, 'utf8')));
    expect(validate(log) ? [] : validate.errors).toEqual([]);
  }, 60_000);

  it('warns on stderr when no advisories are loaded, and keeps the notes in the JSON', async () => {
    const outcome = await lamina(['scan', image, '--format', 'json'], { dataDir: emptyDir });
    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toContain('lamina: warning: no advisory data');
    expect(JSON.parse(outcome.stdout).scan.notes).toContain('OS_CVES_UNAVAILABLE');
  }, 60_000);

  it('says what could not be read: the warnings in the table, on stderr with other formats, in SARIF', async () => {
    const broken = await buildImage({
      layers: [
        {
          entries: [
            { path: 'etc/alpine-release', content: '3.18.4\n' },
            { path: 'lib/apk/db/installed', content: APK_INSTALLED },
            { path: 'opt/app/broken.jar', content: 'not a zip archive at all' },
          ],
        },
      ],
    });
    await pushImage(registry, 'team/broken', '1', broken);
    const name = `${registry.host}/team/broken:1`;
    const warning = 'java: opt/app/broken.jar: not a readable zip archive: no end of central directory record';

    const table = await lamina(['scan', name, '--format', 'table']);
    expect(table.code).toBe(0);
    // Wrapped at 80 columns with a hanging indent.
    expect(table.stdout.slice(table.stdout.indexOf('Warnings:')).replace(/\n\s+/g, ' ')).toBe(`Warnings: ${warning}\n`);
    expect(table.stderr).toContain('lamina: warning: part of the image could not be read');
    expect(table.stderr).not.toContain(warning);

    const json = await lamina(['scan', name, '--format', 'json']);
    expect(json.code).toBe(0);
    expect(json.stderr).toContain(`lamina: warning: ${warning}\n`);
    expect(JSON.parse(json.stdout).scan.notes).toContain('PARTIAL_SCAN_DATA');
    // The finding is still there: one unreadable file costs only what it holds.
    expect(JSON.parse(json.stdout).scan.components.find((c: { name: string }) => c.name === 'musl').vulns[0].cve).toBe('CVE-2025-26519');

    const sarif = JSON.parse((await lamina(['scan', name, '--format', 'sarif'])).stdout);
    expect(sarif.runs[0].invocations[0].toolExecutionNotifications).toContainEqual({ level: 'warning', message: { text: warning } });
  }, 60_000);

  it('credentials: --username needs a password; --password-stdin reads it', async () => {
    const missing = await lamina(['scan', image, '--username', 'ci']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^lamina: --username needs --password or --password-stdin\n/);
    // The registry is anonymous: the password read from stdin is simply not needed, and the scan succeeds.
    const fromStdin = await lamina(['scan', image, '--format', 'json', '--username', 'ci', '--password-stdin'], { stdin: 'secret\n' });
    expect(fromStdin.code).toBe(0);
  }, 60_000);

  it('a platform the image lacks is an error naming the platform it has', async () => {
    const outcome = await lamina(['scan', image, '--platform', 'linux/arm64', '--format', 'table']);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/is built for linux\/amd64 only, not for linux\/arm64/);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('scans a docker save tar and an OCI layout without a registry, finding what the registry scan finds', async () => {
    const archive = join(dataDir, 'alpine.tar');
    await writeTar(archive, dockerArchiveMembers([{ image: built, tags: ['team/alpine:3.18'] }], 'modern'));
    const layout = join(dataDir, 'alpine-oci');
    await writeDirectory(layout, ociLayoutMembers([{ image: built, refName: '3.18' }]));
    const names = (out: Outcome) =>
      JSON.parse(out.stdout)
        .scan.components.map(
          (c: { name: string; version: string; vulns: Array<{ cve: string }> }) => `${c.name} ${c.version} ${c.vulns.map((v) => v.cve).join(',')}`,
        )
        .sort();
    const fromRegistry = names(await lamina(['scan', image, '--format', 'json']));
    const fromArchive = await lamina(['scan', `docker-archive:${archive}:team/alpine:3.18`, '--format', 'json']);
    expect(fromArchive.code).toBe(0);
    expect(names(fromArchive)).toEqual(fromRegistry);
    expect(names(await lamina(['scan', '--input', archive, '--format', 'json']))).toEqual(fromRegistry);
    const fromLayout = await lamina(['scan', `oci-dir:${layout}:3.18`, '--format', 'json']);
    expect(names(fromLayout)).toEqual(fromRegistry);
    // The OCI layout keeps the manifest as built: the same id as in the registry.
    expect(JSON.parse(fromLayout.stdout).id).toBe(built.manifestDigest);
    const missing = await lamina(['scan', `docker-archive:${archive}:team/other:1`, '--format', 'table']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('team/alpine:3.18');
  }, 60_000);

  it('--version, help and scan --help answer 0; an unknown option is a usage error', async () => {
    const version = await lamina(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^lamina \d+\.\d+\.\d+\n$/) });
    expect((await lamina(['help'])).stdout).toContain('lamina scan <image>');
    const help = await lamina(['scan', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--format', '--output', '--severity', '--ignore-unfixed', '--ignore-file', '--exit-code', '--password-stdin', '--platform']) {
      expect(help.stdout).toContain(flag);
    }
    const db = await lamina(['db', '--help']);
    expect(db.code).toBe(0);
    expect(db.stdout).toContain('lamina db status');
    expect((await lamina(['serve', '--help'])).stdout).toContain('--port');
    const unknown = await lamina(['scan', image, '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^lamina: .*frobnicate/);
  }, 60_000);
});
