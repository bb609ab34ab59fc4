import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { scanCommand } from '../../lib/cli/scan-command';
import { configFromEnv } from '../../lib/config';
import { FakeRegistry } from '../image/fake-registry';

// A scan that takes more than a second shows a progress line on a terminal's stderr, and nothing elsewhere.
describe('lamina scan progress line', () => {
  let registry: FakeRegistry;
  let dataDir: string;

  beforeAll(async () => {
    registry = await new FakeRegistry().start();
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-progress-'));
    const image = registry.putImage('team/slow', ['1']);
    registry.intercept = (req, res) => {
      if (!req.url?.endsWith(`/blobs/${image.layer.digest}`)) return false;
      // The layer takes 1.5 s: long enough for the line to appear.
      setTimeout(() => {
        res.writeHead(200, { 'Content-Length': image.layer.size });
        res.end(image.layer.bytes);
      }, 1500);
      return true;
    };
  });

  afterAll(async () => {
    await registry.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function scan(interactive: boolean): Promise<{ code: number; err: string; out: string }> {
    let err = '';
    let out = '';
    const config = { ...configFromEnv({}), dataDir };
    const code = await scanCommand([`${registry.host}/team/slow:1`, '--format', 'json'], config, {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      interactive,
      stdoutIsTty: false,
      stdin: Readable.from([]),
    });
    return { code, err, out };
  }

  it('on a terminal: the step and the time, rewritten in place and erased at the end', async () => {
    const { code, err, out } = await scan(true);
    expect(code).toBe(0);
    const ERASE_TO_END = '\x1b[K';
    expect(err).toMatch(/\rscanning 127\.0\.0\.1:\d+\/team\/slow:1: reading 1 layer \(\d+ s\)/);
    expect(err).toContain(ERASE_TO_END);
    expect(err).toContain('\r\x1b[K');
    expect(JSON.parse(out).scan).toBeDefined();
  }, 30_000);

  it('elsewhere: no progress line', async () => {
    const { code, err } = await scan(false);
    expect(code).toBe(0);
    expect(err).not.toContain('\r');
  }, 30_000);
});
