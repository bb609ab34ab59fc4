import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { permissionDenied } from '../../errors';

/** Decides which registries may be used and which hosts may be connected to. */
export interface HostPolicy {
  /** Throws RuntimeError PermissionDenied when images may not be pulled from this registry at all. */
  checkRegistry(registry: string): void;
  /** Throws RuntimeError PermissionDenied when connecting to this host (name or address, no port) is refused. */
  checkConnect(hostname: string): Promise<void>;
}

export interface HostPolicyOptions {
  /** When non-empty, only these registries (host[:port], `docker.io` for Docker Hub) may be used. */
  allowedRegistries?: string[];
  /** Hosts (names or addresses) allowed even though they are link-local or metadata addresses. */
  allowedPrivateHosts?: string[];
  /** Resolves a name to its addresses; dns.lookup by default. */
  resolve?: (hostname: string) => Promise<string[]>;
}

/** Link-local ranges and cloud metadata endpoints: a scan must never be steered at them. */
function blockedAddresses(): BlockList {
  const list = new BlockList();
  list.addSubnet('169.254.0.0', 16, 'ipv4');
  list.addSubnet('fe80::', 10, 'ipv6');
  list.addAddress('fd00:ec2::254', 'ipv6');
  // Alibaba Cloud's metadata service.
  list.addAddress('100.100.100.200', 'ipv4');
  return list;
}

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog']);

/** Strips IPv6 brackets and an IPv4-mapped prefix so the address can be checked as what it really is. */
function plainAddress(address: string): string {
  const unbracketed = address.replace(/^\[(.*)\]$/, '$1');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(unbracketed);
  return mapped ? mapped[1] : unbracketed;
}

export function isBlockedAddress(address: string, list: BlockList = BLOCKED): boolean {
  const plain = plainAddress(address);
  const family = isIP(plain);
  if (family === 0) return false;
  return list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

const BLOCKED = blockedAddresses();

/** Lower-cases a registry name and maps Docker Hub's aliases to `docker.io`. */
export function normaliseRegistryHost(registry: string): string {
  const host = registry.trim().toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

const LOOKUP_TIMEOUT_MS = 5000;

/** All addresses of a name; a lookup that hangs counts as failed, so the check never outlives the request timeout. */
async function lookupAll(hostname: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lookup of ${hostname} timed out`)), LOOKUP_TIMEOUT_MS);
    timer.unref();
  });
  try {
    const results = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
    return results.map((entry) => entry.address);
  } finally {
    clearTimeout(timer);
  }
}

/** The default policy: refuse link-local and metadata addresses (also behind names) and honour an allow-list. */
export class DefaultHostPolicy implements HostPolicy {
  private readonly allowedRegistries: Set<string>;
  private readonly allowedPrivate: Set<string>;
  private readonly resolve: (hostname: string) => Promise<string[]>;

  constructor(options: HostPolicyOptions = {}) {
    this.allowedRegistries = new Set((options.allowedRegistries ?? []).map(normaliseRegistryHost));
    this.allowedPrivate = new Set((options.allowedPrivateHosts ?? []).map((host) => plainAddress(host.trim().toLowerCase())));
    this.resolve = options.resolve ?? lookupAll;
  }

  checkRegistry(registry: string): void {
    if (this.allowedRegistries.size === 0) return;
    if (!this.allowedRegistries.has(normaliseRegistryHost(registry))) {
      throw permissionDenied(`registry ${registry} is not in the list of allowed registries`);
    }
  }

  async checkConnect(hostname: string): Promise<void> {
    const host = plainAddress(hostname.toLowerCase());
    if (this.allowedPrivate.has(host)) return;
    if (METADATA_NAMES.has(host.replace(/\.$/, ''))) throw refused(hostname, 'it is a cloud metadata service');
    if (isIP(host) !== 0) {
      if (isBlockedAddress(host)) throw refused(hostname, 'it is a link-local or cloud metadata address');
      return;
    }
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch {
      return; // Name resolution failures surface as the connection error they cause, typed Unavailable.
    }
    const blocked = addresses.find((address) => isBlockedAddress(address) && !this.allowedPrivate.has(plainAddress(address)));
    if (blocked) throw refused(hostname, `it resolves to the link-local or cloud metadata address ${blocked}`);
  }
}

function refused(hostname: string, why: string) {
  return permissionDenied(`connecting to registry host ${hostname} is refused: ${why}`);
}
