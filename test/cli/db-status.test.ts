import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbCommand, openLocalAdvisories } from '../../lib/cli/db';
import type { CliIo } from '../../lib/cli/io';
import { configFromEnv, type LaminaConfig } from '../../lib/config';
import { DynamoAdvisoryStore } from '../../lib/aws/dynamo-advisory-store';
import { localTablesFromEnv, openDataDirectoryDynamo } from '../../lib/local/data-directory';
import type { Osv } from '../../lib/vulndb/osv';
import { checkedCursor } from '../../lib/vulndb/updater';

/* `lamina db status` in process over a data directory of its own: records and last update per ecosystem, and warnings. */

const DAY = 24 * 3600 * 1000;

function fakeIo(now?: number) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false, now: now === undefined ? undefined : () => new Date(now) };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

const record = (id: string, packages: Array<[string, string]>, extra: object = {}) => ({
  id,
  modified: '2025-03-01T10:00:00Z',
  affected: packages.map(([ecosystem, name]) => ({
    package: { ecosystem, name },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2' }] }],
  })),
  ...extra,
});

describe('lamina db status', () => {
  let dataDir: string;
  let config: LaminaConfig;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lamina-db-status-'));
    config = { ...configFromEnv({}), dataDir };
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const importRecords = async (records: object[]) => {
    const dir = join(dataDir, `import-${Math.random().toString(36).slice(2)}`);
    await mkdir(dir);
    for (const r of records) await writeFile(join(dir, `${(r as { id: string }).id}.json`), JSON.stringify(r));
    const { io } = fakeIo();
    expect(await dbCommand(['import', '--quiet', dir], config, io)).toBe(0);
  };
  const status = async (now?: number) => {
    const io = fakeIo(now);
    expect(await dbCommand(['status'], config, io.io)).toBe(0);
    return { out: io.out(), err: io.err() };
  };
  const line = (out: string, ecosystem: string) => out.split('\n').find((l) => l.startsWith(`  ${ecosystem} `));

  it('says when nothing is recorded', async () => {
    const { out, err } = await status();
    expect(out).toMatch(/^advisory data version 0 \(.*advisories\.lmdb\)\nno ecosystems recorded: run `lamina db update` or `lamina db import`\n$/);
    expect(err).toBe('');
  });

  it('prints each ecosystem with its records and last update, and warns on stderr about data over a day old', async () => {
    const before = Date.now();
    await importRecords([
      record('DSA-1', [['Debian:12', 'zlib']]),
      record('DSA-2', [
        ['Debian:12', 'curl'],
        ['Debian:12', 'libcurl4'],
      ]),
      record('DSA-3', [
        ['Debian:12', 'openssl'],
        ['Debian:11', 'openssl'],
      ]),
      record('GHSA-1', [['npm', 'left-pad']]),
      record('GHSA-2', [['npm', 'lodash']], { withdrawn: '2025-03-01T00:00:00Z' }),
    ]);
    const fresh = await status();
    expect(fresh.err).toBe('');
    const debian = line(fresh.out, 'Debian:12')!;
    expect(debian).toMatch(/^ {2}Debian:12 +3 records {2}last updated (\S+)$/);
    expect(Date.parse(/last updated (\S+)$/.exec(debian)![1])).toBeGreaterThanOrEqual(before - 1000);
    expect(line(fresh.out, 'Debian:11')).toMatch(/^ {2}Debian:11 +1 record {2}last updated \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(line(fresh.out, 'npm')).toMatch(/ 1 record {2}last updated /);
    expect(
      fresh.out
        .split('\n')
        .filter((l) => l.startsWith('  '))
        .map((l) => l.trim().split(' ')[0]),
    ).toEqual(['Debian:11', 'Debian:12', 'npm']);

    const later = await status(Date.now() + 2 * DAY + 3600_000);
    expect(later.out).toBe(fresh.out);
    expect(later.err.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^warning: Debian:11 advisories are 2 days old \(last updated \S+\): run `lamina db update`$/),
      expect.stringMatching(/^warning: Debian:12 advisories are 2 days old /),
      expect.stringMatching(/^warning: npm advisories are 2 days old /),
    ]);
    expect((await status(Date.now() + 30 * 3600_000)).err).toMatch(/^warning: Debian:11 advisories are 30 hours old /);
  });

  it('counts an ecosystem as current when `db update` last found its export unchanged', async () => {
    await importRecords([record('DSA-1', [['Debian:12', 'zlib']]), record('GHSA-1', [['npm', 'left-pad']])]);
    const checked = new Date(Date.now() + 2 * DAY - 3600_000).toISOString();
    const { store } = await openLocalAdvisories(config);
    await store.setCursor(checkedCursor('Debian'), checked);
    await store.close();
    const { out, err } = await status(Date.now() + 2 * DAY);
    expect(line(out, 'Debian:12')).toMatch(new RegExp(`1 record {2}last updated \\S+, checked ${checked.replace(/\./g, '\\.')}$`));
    expect(err.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^warning: npm advisories are /)]);
  });

  it('copies and counts the advisories of a data directory an older lamina kept in the embedded DynamoDB', async () => {
    const dynamo = await openDataDirectoryDynamo(dataDir);
    const legacy = new DynamoAdvisoryStore(dynamo.client, localTablesFromEnv({}).advisories);
    await legacy.ensureTables();
    await legacy.putAdvisories([record('DSA-1', [['Debian:12', 'zlib']]), record('DSA-2', [['Debian:12', 'curl']])] as Osv[]);
    await dynamo.client.send(
      new PutItemCommand({
        TableName: localTablesFromEnv({}).advisories,
        Item: { pk: { S: 'META' }, sk: { S: 'COVERAGE' }, ecosystems: { M: { 'Debian:12': { S: '2025-01-01T00:00:00.000Z' } } } },
      }),
    );
    await dynamo.stop();
    const { out, err } = await status();
    expect(line(out, 'Debian:12')).toMatch(/ 2 records {2}last updated 2025-01-01T00:00:00\.000Z$/);
    expect(err).toMatch(/^copying the advisories from the embedded DynamoDB .*\ncopied 2 advisories in /);
  });
});
