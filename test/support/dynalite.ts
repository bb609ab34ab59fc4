import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../lib/local/embedded-dynamo';

/** dynalite on loopback for tests: in memory unless `path` names a LevelDB directory. */
export function startDynalite(opts: { path?: string } = {}): Promise<EmbeddedDynamo> {
  return startEmbeddedDynamo(opts);
}
