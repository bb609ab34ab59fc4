import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { permissionDenied } from '../../errors';

/** Decides which registries may be used and which hosts may be connected to. */
export interface HostPolicy {
  /** Throws RuntimeError PermissionDenied when images may not be pulled from this registry at all. */
  checkRegistry(registry: string): void;
  /** Throws RuntimeError PermissionDenied when connecting to this host (name or address, no port) is refused. */
  checkConnect(hostname: string): Promise<void>;
  /**
   * Checks like checkConnect and answers the addresses it checked, which the connection must then use (so that a
   * second resolution cannot answer another address); undefined when the name is connected to as it is.
   */
  checkedAddresses?(hostname: string): Promise<string[] | undefined>;
}

export interface HostPolicyOptions {
  /** When non-empty, only these registries (host[:port], `docker.io` for Docker Hub) may be used. */
  allowedRegistries?: string[];
  /**
   * Hosts (names or addresses) allowed even though they are link-local or metadata addresses, or, where
   * `refusePrivateNetworks` holds, loopback or private ones (LAMINA_ALLOWED_PRIVATE_HOSTS).
   */
  allowedPrivateHosts?: string[];
  /**
   * Also refuse loopback, private (RFC 1918, unique-local, shared CGNAT) and unspecified addresses. Default: only
   * inside AWS Lambda (see `runningInLambda`), where loopback is the Lambda Runtime API and private ranges are the
   * VPC; the CLI and local mode keep scanning registries on loopback and the LAN.
   */
  refusePrivateNetworks?: boolean;
  /** Where `refusePrivateNetworks` is decided from when not given; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Resolves a name to its addresses; dns.lookup by default. */
  resolve?: (hostname: string) => Promise<string[]>;
}

/** True inside an AWS Lambda execution environment, which sets these for every runtime. */
export function runningInLambda(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_LAMBDA_RUNTIME_API || env.AWS_LAMBDA_FUNCTION_NAME);
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

/**
 * Loopback, private and unspecified ranges: refused where the scanner's own network is not the user's (Lambda).
 * `::/96` covers the unspecified and loopback IPv6 addresses and the deprecated IPv4-compatible ones (`::127.0.0.1`);
 * IPv4-mapped addresses are checked against the IPv4 ranges.
 */
function privateAddresses(): BlockList {
  const list = new BlockList();
  list.addSubnet('0.0.0.0', 8, 'ipv4');
  list.addSubnet('10.0.0.0', 8, 'ipv4');
  list.addSubnet('100.64.0.0', 10, 'ipv4');
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addSubnet('172.16.0.0', 12, 'ipv4');
  list.addSubnet('192.168.0.0', 16, 'ipv4');
  list.addSubnet('198.18.0.0', 15, 'ipv4');
  list.addSubnet('::', 96, 'ipv6');
  list.addSubnet('fc00::', 7, 'ipv6');
  list.addSubnet('fec0::', 10, 'ipv6');
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
const PRIVATE = privateAddresses();

/** Loopback, private (RFC 1918, unique-local, CGNAT) or unspecified; not the link-local ones `isBlockedAddress` knows. */
export function isPrivateAddress(address: string): boolean {
  return isBlockedAddress(address, PRIVATE);
}

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

/**
 * The default policy: refuse link-local and metadata addresses (also behind names) and honour an allow-list; inside
 * Lambda also refuse loopback and private addresses, unless LAMINA_ALLOWED_PRIVATE_HOSTS names them.
 */
export class DefaultHostPolicy implements HostPolicy {
  private readonly allowedRegistries: Set<string>;
  private readonly allowedPrivate: Set<string>;
  private readonly refusePrivate: boolean;
  private readonly resolve: (hostname: string) => Promise<string[]>;

  constructor(options: HostPolicyOptions = {}) {
    this.allowedRegistries = new Set((options.allowedRegistries ?? []).map(normaliseRegistryHost));
    this.allowedPrivate = new Set((options.allowedPrivateHosts ?? []).map((host) => plainAddress(host.trim().toLowerCase())));
    this.refusePrivate = options.refusePrivateNetworks ?? runningInLambda(options.env ?? process.env);
    this.resolve = options.resolve ?? lookupAll;
  }

  /** Why connecting to this address is refused, or undefined when it may be. */
  private refusal(address: string): string | undefined {
    if (this.allowedPrivate.has(plainAddress(address.toLowerCase()))) return undefined;
    if (isBlockedAddress(address)) return 'link-local or cloud metadata address';
    if (this.refusePrivate && isPrivateAddress(address)) return 'loopback or private address';
    return undefined;
  }

  checkRegistry(registry: string): void {
    if (this.allowedRegistries.size === 0) return;
    if (!this.allowedRegistries.has(normaliseRegistryHost(registry))) {
      throw permissionDenied(`registry ${registry} is not in the list of allowed registries`);
    }
  }

  async checkConnect(hostname: string): Promise<void> {
    await this.checkedAddresses(hostname);
  }

  async checkedAddresses(hostname: string): Promise<string[] | undefined> {
    const host = plainAddress(hostname.toLowerCase());
    if (this.allowedPrivate.has(host)) return undefined;
    if (METADATA_NAMES.has(host.replace(/\.$/, ''))) throw refused(hostname, 'it is a cloud metadata service');
    if (isIP(host) !== 0) {
      const why = this.refusal(host);
      if (why) throw refused(hostname, `it is a ${why}`, this.hint(why));
      return undefined;
    }
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch {
      return undefined; // Name resolution failures surface as the connection error they cause, typed Unavailable.
    }
    for (const address of addresses) {
      const why = this.refusal(address);
      if (why) throw refused(hostname, `it resolves to the ${why} ${address}`, this.hint(why));
    }
    return addresses.length > 0 ? addresses : undefined;
  }

  private hint(why: string): string {
    return why.startsWith('loopback') ? ' (inside AWS Lambda; name the host in LAMINA_ALLOWED_PRIVATE_HOSTS to allow it)' : '';
  }
}

function refused(hostname: string, why: string, hint = '') {
  return permissionDenied(`connecting to registry host ${hostname} is refused: ${why}${hint}`);
}
