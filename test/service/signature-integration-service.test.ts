import { CodedError, GrpcCode } from '../../lib/errors';
import { SIGNATURE_INTEGRATION_ID_PREFIX, SignatureIntegrationService } from '../../lib/service/signature-integration-service';
import { MemorySignatureIntegrationStore } from '../../lib/service/signature-integrations';
import type { SignatureIntegration } from '../../lib/signatures/types';
import { generateKey } from '../signatures/cosign';

const alice = generateKey('ec-p256');
const bob = generateKey('ed25519');
const keys = (name: string, pem: string) => ({ cosign: { publicKeys: [{ name, publicKeyPemEnc: pem }] } });
const configured: SignatureIntegration = { id: 'io.stackrox.signatureintegration.release', name: 'release', ...keys('release.pub', alice.publicPem) };

async function rejection(promise: Promise<unknown>): Promise<CodedError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CodedError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('SignatureIntegrationService (StackRox SignatureIntegrationService rules)', () => {
  let ids: number;
  const service = (store = new MemorySignatureIntegrationStore()) =>
    new SignatureIntegrationService({ store, configured: [configured], newId: () => `${SIGNATURE_INTEGRATION_ID_PREFIX}${++ids}` });
  beforeEach(() => {
    ids = 0;
  });

  it('creates with a generated id, lists by name with the configured ones, gets, replaces and deletes', async () => {
    const integrations = service();
    const created = await integrations.create({ name: 'ci', ...keys('ci.pub', bob.publicPem) });
    expect(created).toEqual({ id: `${SIGNATURE_INTEGRATION_ID_PREFIX}1`, name: 'ci', ...keys('ci.pub', bob.publicPem) });
    await integrations.create({ name: 'alpha', ...keys('a.pub', alice.publicPem) });
    expect((await integrations.list()).map((i) => i.name)).toEqual(['alpha', 'ci', 'release']);
    expect(await integrations.get(created.id)).toEqual(created);
    expect(await integrations.get(configured.id)).toEqual(configured);

    await integrations.update(created.id, { id: created.id, name: 'ci-renamed', ...keys('other.pub', alice.publicPem) });
    expect(await integrations.get(created.id)).toEqual({ id: created.id, name: 'ci-renamed', ...keys('other.pub', alice.publicPem) });
    await integrations.remove(created.id);
    expect((await integrations.current()).map((i) => i.name)).toEqual(['release', 'alpha']);
    expect(await rejection(integrations.get(created.id))).toMatchObject({
      code: GrpcCode.NotFound,
      message: `signature integration id=${created.id} doesn't exist: not found`,
    });
  });

  it('refuses what StackRox refuses, with its codes', async () => {
    const integrations = service();
    const { id } = await integrations.create({ name: 'ci', ...keys('ci.pub', bob.publicPem) });
    const cases: Array<[Promise<unknown>, GrpcCode, RegExp]> = [
      [integrations.create({ id: 'mine', name: 'x', ...keys('k', bob.publicPem) }), GrpcCode.InvalidArgument, /^id should be empty but "mine" provided/],
      [integrations.create({ name: '', ...keys('k', bob.publicPem) }), GrpcCode.InvalidArgument, /name must be a non-empty string/],
      [integrations.create({ name: 'x' }), GrpcCode.InvalidArgument, /give at least one key \(cosign.publicKeys\) or certificate rule/],
      [integrations.create({ name: 'x', ...keys('k', 'not a key') }), GrpcCode.InvalidArgument, /publicKeyPemEnc is not a PEM-encoded public key/],
      [
        integrations.create({ name: 'x', cosignCertificates: [{ certificateOidcIssuer: '(', certificateIdentity: '.*' }] }),
        GrpcCode.InvalidArgument,
        /certificateOidcIssuer is not a usable regular expression/,
      ],
      [integrations.create([]), GrpcCode.InvalidArgument, /the body must be a JSON object/],
      [integrations.create({ name: 'ci', ...keys('k', alice.publicPem) }), GrpcCode.AlreadyExists, /name "ci" is already used by id=/],
      [
        integrations.create({ name: 'release', ...keys('k', alice.publicPem) }),
        GrpcCode.AlreadyExists,
        /already used by id=io.stackrox.signatureintegration.release/,
      ],
      [
        integrations.update('plain-id', { name: 'y', ...keys('k', bob.publicPem) }),
        GrpcCode.InvalidArgument,
        /id field must be in 'io.stackrox.signatureintegration.\*' format/,
      ],
      [integrations.update(id, { id: `${id}x`, name: 'y', ...keys('k', bob.publicPem) }), GrpcCode.InvalidArgument, /is not the one in the path/],
      [integrations.update(`${SIGNATURE_INTEGRATION_ID_PREFIX}none`, { name: 'y', ...keys('k', bob.publicPem) }), GrpcCode.NotFound, /doesn't exist/],
      [
        integrations.update(configured.id, { name: 'y', ...keys('k', bob.publicPem) }),
        GrpcCode.FailedPrecondition,
        /declared by the deployment's configuration/,
      ],
      [integrations.remove(configured.id), GrpcCode.FailedPrecondition, /LAMINA_SIGNATURE_INTEGRATIONS/],
      [integrations.remove(`${SIGNATURE_INTEGRATION_ID_PREFIX}none`), GrpcCode.NotFound, /doesn't exist/],
    ];
    for (const [promise, code, message] of cases) {
      const err = await rejection(promise);
      expect([err.code, err.message]).toEqual([code, expect.stringMatching(message)]);
    }
    // Nothing refused was written.
    expect((await integrations.list()).map((i) => i.name)).toEqual(['ci', 'release']);
  });

  it('writes over the revision it read: a concurrent writer is not lost, and a writer that keeps losing gives up', async () => {
    const store = new MemorySignatureIntegrationStore();
    const integrations = service(store);
    const [a, b] = await Promise.all([
      integrations.create({ name: 'a', ...keys('a', alice.publicPem) }),
      integrations.create({ name: 'b', ...keys('b', bob.publicPem) }),
    ]);
    expect((await store.load()).integrations.map((i) => i.id).sort()).toEqual([a.id, b.id].sort());

    const busy = new MemorySignatureIntegrationStore();
    busy.save = async () => false;
    expect(await rejection(service(busy).create({ name: 'c', ...keys('c', alice.publicPem) }))).toMatchObject({ code: GrpcCode.Aborted });
  });

  it('without a store it lists the configured integrations and refuses changes as Unimplemented', async () => {
    const integrations = new SignatureIntegrationService({ configured: [configured] });
    expect(await integrations.list()).toEqual([configured]);
    expect(await rejection(integrations.create({ name: 'x', ...keys('k', bob.publicPem) }))).toMatchObject({ code: GrpcCode.Unimplemented });
  });
});
