import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipFile } from 'yazl';
import { dbCommand } from '../../lib/cli/db';
import type { CliIo } from '../../lib/cli/io';
import { configFromEnv, type LaminaConfig } from '../../lib/config';
import { openLocalAdvisoryStore } from '../../lib/local/data-directory';
import { decodeStoredTrustedRoot, TRUSTED_ROOT_KEY } from '../../lib/signatures/stored-trust-root';
import { startTufRepo } from '../signatures/tuf-repo';

/*
 * `lamina db update` in process, over a data directory of its own, against OSV's bucket layout on loopback: what a
 * failure says, and the progress line a terminal gets. The io is fake: it collects what is written, and when.
 */

/** ANSI: erase from the cursor to the end of the line. */
const ERASE_TO_END = '\x1b[K';

interface Written {
  at: number;
  text: string;
}

function fakeIo(interactive: boolean) {
  const started = Date.now();
  const out: string[] = [];
  const err: Written[] = [];
  const io: CliIo = {
    out: (text) => out.push(text),
    err: (text) => err.push({ at: Date.now() - started, text }),
    interactive,
  };
  return { io, out: () => out.join(''), err, errText: () => err.map((w) => w.text).join('') };
}

async function zipOf(records: object[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const record of records) zip.addBuffer(Buffer.from(JSON.stringify(record)), `${(record as { id: string }).id}.json`);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const debianRecords = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `DSA-${9000 + i}-1`,
    modified: '2025-03-01T10:00:00Z',
    summary: `security update ${i} ${'of a package with a long description '.repeat(20)}`,
    affected: [
      { package: { ecosystem: 'Debian:12', name: `pkg-${i % 50}` }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-1' }] }] },
    ],
  }));

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('lamina db update', () => {
  let dataDir: string;
  let config: LaminaConfig;
  let server: Server | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-db-update-'));
    config = { ...configFromEnv({}), dataDir };
  });
  afterEach(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
      server = undefined;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (handler: Handler): Promise<string> => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  const update = async (baseUrl: string, io: CliIo, extra: string[] = []) =>
    dbCommand(['update', '--ecosystem', 'Debian', '--base-url', baseUrl, ...extra], config, io);

  describe('says which URL failed and why', () => {
    it('connection refused', async () => {
      const probe = createTcpServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as AddressInfo;
      await new Promise((resolve) => probe.close(resolve));
      const { io, out } = fakeIo(false);
      expect(await update(`http://127.0.0.1:${port}`, io)).toBe(1);
      expect(out()).toContain(
        `Debian: failed: GET http://127.0.0.1:${port}/Debian/all.zip: connection refused by 127.0.0.1:${port} (ECONNREFUSED) (3 attempts)\n`,
      );
    });

    it('HTTP 404 and 500', async () => {
      const base = await start((req, res) => res.writeHead(req.url?.startsWith('/Debian/') ? 404 : 500).end());
      const { io, out } = fakeIo(false);
      expect(await dbCommand(['update', '--ecosystem', 'Debian', '--ecosystem', 'Alpine', '--base-url', base], config, io)).toBe(1);
      expect(out()).toContain(`Debian: failed: GET ${base}/Debian/all.zip: HTTP 404 Not Found\n`);
      expect(out()).toContain(`Alpine: failed: GET ${base}/Alpine/all.zip: HTTP 500 Internal Server Error (3 attempts)\n`);
    });

    it('a server that never answers, with --timeout', async () => {
      const base = await start(() => undefined);
      const { io, out } = fakeIo(false);
      expect(await update(base, io, ['--timeout', '200'])).toBe(1);
      expect(out()).toContain(`Debian: failed: GET ${base}/Debian/all.zip: timed out: no response within 200 ms (3 attempts)\n`);
    });

    it('a name that does not resolve', async () => {
      const { io, out } = fakeIo(false);
      expect(await update('http://osv.invalid', io)).toBe(1);
      expect(out()).toMatch(/^osv:Debian: failed: GET http:\/\/osv\.invalid\/Debian\/all\.zip: cannot resolve osv\.invalid /m);
    });

    it('refuses a --timeout that is not a number of milliseconds', async () => {
      const { io, errText } = fakeIo(false);
      expect(await update('http://127.0.0.1:1', io, ['--timeout', 'soon'])).toBe(2);
      expect(errText()).toMatch(/^--timeout must be a number of milliseconds, got "soon"/);
    });
  });

  describe("Sigstore's trusted root", () => {
    const saved = { url: process.env.LAMINA_SIGSTORE_TUF_URL, root: process.env.LAMINA_SIGSTORE_TUF_ROOT };
    afterEach(() => {
      for (const [name, value] of [
        ['LAMINA_SIGSTORE_TUF_URL', saved.url],
        ['LAMINA_SIGSTORE_TUF_ROOT', saved.root],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('--source sigstore:trusted-root refreshes it through TUF into the local store; a repository that is gone fails', async () => {
      const trustedRoot = await readFile(join(__dirname, '..', 'signatures', 'fixtures', 'sigstore', 'trusted-root-public-good-2025-03.json'), 'utf8');
      const tuf = await startTufRepo(trustedRoot);
      try {
        await writeFile(join(dataDir, 'tuf-root.json'), tuf.rootJson);
        process.env.LAMINA_SIGSTORE_TUF_URL = tuf.url;
        process.env.LAMINA_SIGSTORE_TUF_ROOT = join(dataDir, 'tuf-root.json');
        const { io, out } = fakeIo(false);
        expect(await dbCommand(['update', '--source', 'sigstore:trusted-root'], config, io)).toBe(0);
        expect(out()).toMatch(/^sigstore:trusted-root: updated$/m);
      } finally {
        await tuf.close();
      }
      const store = await openLocalAdvisoryStore(dataDir);
      try {
        expect(decodeStoredTrustedRoot(await store.getCursor(TRUSTED_ROOT_KEY))).toMatchObject({ mirror: tuf.url, trustedRoot: JSON.parse(trustedRoot) });
      } finally {
        await store.close();
      }
      const { io, out } = fakeIo(false);
      expect(await dbCommand(['update', '--source', 'sigstore:trusted-root'], config, io)).toBe(1);
      expect(out()).toMatch(
        new RegExp(`^sigstore:trusted-root: failed: refreshing the Sigstore trusted root through TUF from ${tuf.url}: .*ECONNREFUSED`, 'm'),
      );
    });
  });

  describe('progress on a terminal', () => {
    /** The export in slices over about `ms`, so the update takes longer than the progress line's second. */
    const slowBucket = async (body: Buffer, ms: number) => {
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      return start((req, res) => {
        if (req.url !== '/Debian/all.zip') return void res.writeHead(404).end();
        if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
        res.writeHead(200, { etag, 'content-length': body.length });
        const slices = 20;
        let sent = 0;
        const timer = setInterval(() => {
          const next = Math.min(body.length, Math.ceil(((sent + 1) * body.length) / slices));
          res.write(body.subarray(Math.ceil((sent * body.length) / slices), next));
          if (++sent >= slices) {
            clearInterval(timer);
            res.end();
          }
        }, ms / slices);
        res.on('close', () => clearInterval(timer));
      });
    };

    it('rewrites one line on stderr a few times a second once the update takes over a second, then erases it', async () => {
      const body = await zipOf(debianRecords(1500));
      const base = await slowBucket(body, 1800);
      const { io, out, err } = fakeIo(true);
      const started = Date.now();
      expect(await update(base, io)).toBe(0);
      const elapsed = Date.now() - started;
      expect(out()).toMatch(/^osv:Debian: updated, 1500 written, 0 unchanged, 0 malformed$/m);

      const draws = err.filter((w) => w.text.startsWith('\r') && w.text !== '\r\x1b[K');
      expect(draws.length).toBeGreaterThan(1);
      // Nothing in the first second, then at most one draw per 250 ms.
      expect(draws[0].at).toBeGreaterThanOrEqual(950);
      expect(draws.length).toBeLessThanOrEqual(Math.ceil((elapsed - 950) / 250) + 1);
      for (let i = 1; i < draws.length; i++) expect(draws[i].at - draws[i - 1].at).toBeGreaterThanOrEqual(240);
      for (const draw of draws) {
        expect(draw.text.endsWith(ERASE_TO_END)).toBe(true);
        expect(draw.text.slice(0, -ERASE_TO_END.length)).toMatch(
          /^\rosv:Debian: (downloading( [\d.]+ MB of [\d.]+ MB)?|[\d,]+ records read, [\d,]+ written)…$/,
        );
      }
      expect(draws.some((d) => /downloading [\d.]+ MB of [\d.]+ MB/.test(d.text))).toBe(true);
      // Erased at the end: the last thing on stderr is the erase, and nothing else was written there.
      expect(err.at(-1)!.text).toBe('\r\x1b[K');
      expect(err.every((w) => w.text.startsWith('\r'))).toBe(true);

      // Unchanged now (304), and quick: nothing at all on stderr.
      const again = fakeIo(true);
      expect(await update(base, again.io)).toBe(0);
      expect(again.out()).toMatch(/^osv:Debian: not-modified/m);
      expect(again.err).toEqual([]);
    }, 30_000);

    it('writes no progress when stderr is not a terminal, or with --quiet', async () => {
      const body = await zipOf(debianRecords(200));
      const base = await slowBucket(body, 1300);
      const plain = fakeIo(false);
      expect(await update(base, plain.io)).toBe(0);
      expect(plain.out()).toMatch(/^osv:Debian: updated, 200 written/m);
      expect(plain.err).toEqual([]);

      await rm(join(dataDir, 'advisories.lmdb'), { force: true });
      const quiet = fakeIo(true);
      expect(await update(base, quiet.io, ['--quiet'])).toBe(0);
      expect(quiet.out()).toMatch(/^osv:Debian: updated, 200 written/m);
      expect(quiet.err).toEqual([]);
    }, 30_000);
  });
});
