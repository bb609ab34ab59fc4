/**
 * `/v1/signatureintegrations` as StackRox's SignatureIntegrationService runs it: integrations with ids
 * `io.stackrox.signatureintegration.<uuid>` and unique names, created, replaced and deleted through the API,
 * beside the ones the deployment's configuration declares (LAMINA_SIGNATURE_INTEGRATIONS, CDK `signatureIntegrations`),
 * which the API lists but does not change. Scans verify against all of them (`current`).
 */
import { randomUUID } from 'node:crypto';
import { CodedError, GrpcCode, invalidArgument, notFound } from '../errors';
import { checkSignatureIntegration } from '../signatures/integrations';
import type { SignatureIntegrationSource } from '../signatures/step';
import type { SignatureIntegration } from '../signatures/types';
import type { SignatureIntegrationStore, StoredIntegrations } from './signature-integrations';

export const SIGNATURE_INTEGRATION_ID_PREFIX = 'io.stackrox.signatureintegration.';

/** Writers that keep losing the race to another writer give up after this many tries. */
const WRITE_ATTEMPTS = 5;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function byName(a: SignatureIntegration, b: SignatureIntegration): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface SignatureIntegrationServiceOptions {
  /** Where the API's integrations live; without one the API only lists the configured ones. */
  store?: SignatureIntegrationStore;
  /** The configuration's integrations. */
  configured?: readonly SignatureIntegration[];
  newId?: () => string;
}

export class SignatureIntegrationService implements SignatureIntegrationSource {
  private readonly configured: readonly SignatureIntegration[];
  private readonly newId: () => string;

  constructor(private readonly options: SignatureIntegrationServiceOptions = {}) {
    this.configured = options.configured ?? [];
    this.newId = options.newId ?? (() => `${SIGNATURE_INTEGRATION_ID_PREFIX}${randomUUID()}`);
  }

  /** Every integration in force: the configured ones, then the API's. */
  async current(): Promise<readonly SignatureIntegration[]> {
    if (!this.options.store) return this.configured;
    const stored = await this.options.store.load();
    return stored.integrations.length === 0 ? this.configured : [...this.configured, ...stored.integrations];
  }

  /** In name order, as StackRox lists them. */
  async list(): Promise<SignatureIntegration[]> {
    return [...(await this.current())].sort(byName);
  }

  async get(id: string): Promise<SignatureIntegration> {
    const found = (await this.current()).find((integration) => integration.id === id);
    if (!found) throw missing(id);
    return found;
  }

  /** POST: the id is the service's to give; the integration is answered with it. */
  async create(body: unknown): Promise<SignatureIntegration> {
    const requested = objectOf(body);
    if (requested.id !== undefined && requested.id !== null && requested.id !== '') {
      throw invalidArgument(`id should be empty but ${JSON.stringify(requested.id)} provided`);
    }
    const integration = checked({ ...requested, id: this.newId() });
    await this.write((stored) => {
      this.checkNameFree(integration, stored);
      return [...stored.integrations, integration];
    });
    return integration;
  }

  /** PUT: replaces the integration of that id whole. */
  async update(id: string, body: unknown): Promise<void> {
    const requested = objectOf(body);
    if (requested.id !== undefined && requested.id !== null && requested.id !== '' && requested.id !== id) {
      throw invalidArgument(`the id in the body (${JSON.stringify(requested.id)}) is not the one in the path (${JSON.stringify(id)})`);
    }
    this.checkNotConfigured(id);
    const integration = checked({ ...requested, id });
    await this.write((stored) => {
      const index = stored.integrations.findIndex((known) => known.id === id);
      if (index === -1) throw missing(id);
      this.checkNameFree(integration, stored);
      return stored.integrations.map((known, at) => (at === index ? integration : known));
    });
  }

  async remove(id: string): Promise<void> {
    this.checkNotConfigured(id);
    await this.write((stored) => {
      if (!stored.integrations.some((known) => known.id === id)) throw missing(id);
      return stored.integrations.filter((known) => known.id !== id);
    });
  }

  /** Reads the set, changes it and writes it over the revision read, again when another writer came in between. */
  private async write(change: (stored: StoredIntegrations) => SignatureIntegration[]): Promise<void> {
    const store = this.options.store;
    if (!store) {
      throw new CodedError(
        GrpcCode.Unimplemented,
        'signature integrations cannot be changed through the API on this deployment: set them in LAMINA_SIGNATURE_INTEGRATIONS',
      );
    }
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const stored = await store.load();
      if (await store.save(change(stored), stored.revision)) return;
    }
    throw new CodedError(GrpcCode.Aborted, 'the signature integrations kept changing while this change was written; retry');
  }

  private checkNotConfigured(id: string): void {
    if (this.configured.some((known) => known.id === id)) {
      throw new CodedError(
        GrpcCode.FailedPrecondition,
        `signature integration id=${id} is declared by the deployment's configuration (LAMINA_SIGNATURE_INTEGRATIONS); change it there`,
      );
    }
  }

  private checkNameFree(integration: SignatureIntegration, stored: StoredIntegrations): void {
    const holder = [...this.configured, ...stored.integrations].find((known) => known.name === integration.name && known.id !== integration.id);
    if (holder)
      throw new CodedError(GrpcCode.AlreadyExists, `signature integration name ${JSON.stringify(integration.name)} is already used by id=${holder.id}`);
  }
}

function objectOf(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw invalidArgument('the body must be a JSON object: a signature integration {name, cosign, cosignCertificates, transparencyLog}');
  return body;
}

/** StackRox's rules: the id's prefix, then the fields as LAMINA_SIGNATURE_INTEGRATIONS checks them. */
function checked(value: Record<string, unknown>): SignatureIntegration {
  const id = value.id as string;
  if (!id.startsWith(SIGNATURE_INTEGRATION_ID_PREFIX)) throw invalidArgument(`id field must be in '${SIGNATURE_INTEGRATION_ID_PREFIX}*' format`);
  try {
    return checkSignatureIntegration(value, 'signature integration');
  } catch (err) {
    throw invalidArgument((err as Error).message);
  }
}

function missing(id: string): CodedError {
  return notFound(`signature integration id=${id} doesn't exist`);
}
