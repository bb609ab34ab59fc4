import { ensureKeyValueTable } from '../../lib/aws/dynamo-image-store';
import { DynamoScanLeases } from '../../lib/aws/dynamo-scan-leases';
import type { EmbeddedDynamo } from '../../lib/local/embedded-dynamo';
import { holderId, isDeadLocalHolder } from '../../lib/service/scan-leases';
import { startDynalite } from '../support/dynalite';

describe('DynamoScanLeases on dynalite', () => {
  let dynamo: EmbeddedDynamo;
  let clock = 1_000_000;
  const now = () => clock;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await ensureKeyValueTable(dynamo.client, 'in-flight');
  });

  afterAll(async () => {
    await dynamo?.stop();
  });

  it('one holder at a time; renewing extends the lease; an expired one is taken over to the millisecond', async () => {
    const leases = new DynamoScanLeases(dynamo.client, 'in-flight', { now });
    expect(await leases.acquire('sha256:a', 'one', 30_000)).toBe(true);
    expect(await leases.acquire('sha256:a', 'two', 30_000)).toBe(false);
    clock += 20_000;
    expect(await leases.acquire('sha256:a', 'one', 30_000)).toBe(true); // renewed until +50 s
    clock += 20_000;
    expect(await leases.acquire('sha256:a', 'two', 30_000)).toBe(false);
    clock += 10_001;
    expect(await leases.acquire('sha256:a', 'two', 30_000)).toBe(true);
    await leases.release('sha256:a', 'one'); // not its lease any more: nothing happens
    expect(await leases.acquire('sha256:a', 'one', 30_000)).toBe(false);
    await leases.release('sha256:a', 'two');
    expect(await leases.acquire('sha256:a', 'one', 30_000)).toBe(true);
  });

  it('a lease of a dead process of this host is taken over at once; a live or foreign holder keeps it', async () => {
    const leases = new DynamoScanLeases(dynamo.client, 'in-flight', { now, isDeadHolder: isDeadLocalHolder });
    // A pid far above pid_max is no process; the holder names this host.
    const dead = holderId('crashed').replace(`/${process.pid}/`, '/4194999/');
    expect(isDeadLocalHolder(dead)).toBe(true);
    expect(await new DynamoScanLeases(dynamo.client, 'in-flight', { now }).acquire('sha256:b', dead, 30_000)).toBe(true);
    expect(await leases.acquire('sha256:b', holderId('restarted'), 30_000)).toBe(true);

    expect(await leases.acquire('sha256:c', `other-host/${process.pid}/x`, 30_000)).toBe(true);
    expect(await leases.acquire('sha256:c', holderId('me'), 30_000)).toBe(false);
    expect(isDeadLocalHolder(holderId('me'))).toBe(false);
  });

  it('records a failure for a while, then forgets it', async () => {
    const leases = new DynamoScanLeases(dynamo.client, 'in-flight', { now });
    expect(await leases.recentFailure('sha256:d')).toBeUndefined();
    await leases.recordFailure('sha256:d', { code: 14, message: 'registry unreachable' }, 15_000);
    expect(await leases.recentFailure('sha256:d')).toEqual({ code: 14, message: 'registry unreachable' });
    clock += 15_001;
    expect(await leases.recentFailure('sha256:d')).toBeUndefined();
  });
});
