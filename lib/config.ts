import { resolve } from 'node:path';
import type { Platform } from './image/types';

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
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

/** Parses `os/arch[/variant]`, e.g. `linux/arm64/v8`. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) throw new Error(`platform must be os/arch[/variant], got "${text}"`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): LaminaConfig {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    dataDir: resolve(env.LAMINA_DATA_DIR ?? '.lamina'),
    port,
    platform: parsePlatform(env.LAMINA_PLATFORM ?? 'linux/amd64'),
    insecureRegistries: list(env.LAMINA_INSECURE_REGISTRIES),
    allowedRegistries: list(env.LAMINA_ALLOWED_REGISTRIES),
    allowedPrivateHosts: list(env.LAMINA_ALLOWED_PRIVATE_HOSTS),
    logLevel: env.LAMINA_LOG_LEVEL ?? 'info',
  };
}
