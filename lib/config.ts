import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Platform } from './image/types';
import { parseSignatureIntegrations } from './signatures/integrations';
import type { SignatureIntegration } from './signatures/types';

/** Settings of a lamina process, read from the environment so local mode, the CLI and Lambda share one reading. */
export interface LaminaConfig {
  dataDir: string;
  port: number;
  platform: Platform;
  insecureRegistries: string[];
  /** When non-empty, only these registry hosts may be scanned. */
  allowedRegistries: string[];
  /** Hosts allowed even though they are link-local or metadata addresses (for tests and special set-ups). */
  allowedPrivateHosts: string[];
  logLevel: string;
  /**
   * Registry hosts pulled from another endpoint (`host` → `mirror host[:port]`): a pull-through cache, a replica,
   * a proxy in a VPC. Names, ids and stored results keep the requested host; an ECR host's credentials follow it.
   */
  registryMirrors?: Record<string, string>;
  /** How long an API request may scan before the scan is handed to the background and answered 503 / retry. */
  /** Longest one scan may take, registry waits included (LAMINA_SCAN_TIMEOUT_MS; default 10 minutes). */
  scanTimeoutMs?: number;
  apiBudgetMs?: number;
  /**
   * Signature integrations (LAMINA_SIGNATURE_INTEGRATIONS, a JSON array in StackRox's shape): with at least one,
   * scans fetch the image's cosign signatures and verify them against each; without, nothing is fetched.
   */
  signatureIntegrations?: SignatureIntegration[];
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Parses `os/arch[/variant]`, e.g. `linux/arm64/v8`. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) throw new Error(`platform must be os/arch[/variant], got "${text}"`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** `LAMINA_REGISTRY_MIRRORS`: JSON `{"registry host": "mirror host[:port]"}`. */
export function parseRegistryMirrors(text: string | undefined): Record<string, string> {
  if (!text?.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`LAMINA_REGISTRY_MIRRORS is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('LAMINA_REGISTRY_MIRRORS must be a JSON object of registry host → mirror host');
  }
  const mirrors: Record<string, string> = {};
  for (const [host, mirror] of Object.entries(parsed)) {
    if (typeof mirror !== 'string' || !mirror.trim() || /[/\s]/.test(mirror.trim())) {
      throw new Error(`LAMINA_REGISTRY_MIRRORS: the mirror of "${host}" must be a host[:port], got ${JSON.stringify(mirror)}`);
    }
    mirrors[host.trim().toLowerCase()] = mirror.trim().toLowerCase();
  }
  return mirrors;
}

function optionalPositive(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of milliseconds, got "${value}"`);
  return n;
}

/**
 * Where lamina keeps its data when LAMINA_DATA_DIR does not say: the user's cache directory
 * ($XDG_CACHE_HOME/lamina, else ~/.cache/lamina), never the working directory, so every run finds the same data.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'lamina');
  let home = env.HOME;
  try {
    home ||= homedir();
  } catch {
    // No home directory at all (some service accounts): the system's temporary directory will do.
  }
  return join(home || tmpdir(), '.cache', 'lamina');
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): LaminaConfig {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    dataDir: env.LAMINA_DATA_DIR ? resolve(env.LAMINA_DATA_DIR) : defaultDataDir(env),
    port,
    platform: parsePlatform(env.LAMINA_PLATFORM ?? 'linux/amd64'),
    insecureRegistries: list(env.LAMINA_INSECURE_REGISTRIES),
    allowedRegistries: list(env.LAMINA_ALLOWED_REGISTRIES),
    allowedPrivateHosts: list(env.LAMINA_ALLOWED_PRIVATE_HOSTS),
    logLevel: env.LAMINA_LOG_LEVEL ?? 'info',
    registryMirrors: parseRegistryMirrors(env.LAMINA_REGISTRY_MIRRORS),
    apiBudgetMs: optionalPositive('LAMINA_API_BUDGET_MS', env.LAMINA_API_BUDGET_MS),
    scanTimeoutMs: optionalPositive('LAMINA_SCAN_TIMEOUT_MS', env.LAMINA_SCAN_TIMEOUT_MS),
    signatureIntegrations: parseSignatureIntegrations(env.LAMINA_SIGNATURE_INTEGRATIONS),
  };
}
