import type { SignatureIntegration } from '../signatures/types';

/** The signature integrations kept by the API, as one set with a revision that every write moves on. */
export interface StoredIntegrations {
  integrations: SignatureIntegration[];
  /** 0 before the first write. */
  revision: number;
}

/**
 * Where `/v1/signatureintegrations` keeps its integrations. The set is written whole and only over the revision
 * it was read at, so concurrent writers cannot lose each other's changes or break the unique names.
 */
export interface SignatureIntegrationStore {
  load(): Promise<StoredIntegrations>;
  /** Writes `integrations` as revision `expected + 1`; false, writing nothing, when the set is no longer at `expected`. */
  save(integrations: SignatureIntegration[], expected: number): Promise<boolean>;
}

export class MemorySignatureIntegrationStore implements SignatureIntegrationStore {
  private stored: StoredIntegrations = { integrations: [], revision: 0 };

  async load(): Promise<StoredIntegrations> {
    return structuredClone(this.stored);
  }

  async save(integrations: SignatureIntegration[], expected: number): Promise<boolean> {
    if (this.stored.revision !== expected) return false;
    this.stored = { integrations: structuredClone(integrations), revision: expected + 1 };
    return true;
  }
}
