import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoAdvisoryStore } from '../../lib/aws/dynamo-advisory-store';
import { startDynalite } from '../support/dynalite';

describe('embedded dynalite for local mode', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `lamina-dynalite-${process.pid}-`));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps advisories in LevelDB under the data dir across restarts', async () => {
    const first = await startDynalite({ path: join(dir, 'db') });
    expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const store = new DynamoAdvisoryStore(first.client, 'advisories');
    await store.ensureTables();
    await store.putAdvisories([
      { id: 'GHSA-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, versions: ['4.17.20'] }] },
    ]);
    const version = await store.getDataVersion();
    await first.stop();

    const second = await startDynalite({ path: join(dir, 'db') });
    try {
      const reopened = new DynamoAdvisoryStore(second.client, 'advisories');
      await reopened.ensureTables();
      expect((await reopened.findByPackages([{ ecosystem: 'npm', name: 'lodash' }])).get('npm|lodash')!.map((o) => o.id)).toEqual(['GHSA-1']);
      expect(await reopened.getDataVersion()).toBe(version);
    } finally {
      await second.stop();
    }
  });
});
