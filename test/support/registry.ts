import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startTokenServer, type TokenServer } from './token-server';

const REGISTRY_BIN = '/usr/bin/docker-registry';
const SETPRIV_BIN = '/usr/bin/setpriv';
const START_TIMEOUT_MS = 30_000;

export type RegistryAuth = 'none' | 'basic' | 'token';

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  auth: RegistryAuth;
  username?: string;
  password?: string;
  /** Token mode: requests the token server has answered so far. */
  readonly tokenRequests?: number;
  /** Token mode: the realm the registry's challenges name. */
  tokenRealm?: string;
  /** The registry's log (stdout and stderr). */
  logFile?: string;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  auth?: RegistryAuth;
  username?: string;
  password?: string;
  /** Token mode: repositories whose name starts with this get anonymous pull tokens. */
  publicPrefix?: string;
}

export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BIN);
}

/** Registries still running, killed and cleaned up if a test file or the process ends without stopping them. */
const running = new Map<ChildProcess, string>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;
let staleSwept = false;

function killAllSync(): void {
  for (const child of running.keys()) child.kill('SIGKILL');
  running.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllSync);
}

// Under jest each test file gets its own copy of this module: clean up after the file, whatever it forgot.
try {
  if (typeof afterAll === 'function') afterAll(killAllSync);
} catch {
  // Loaded from inside a running test, where hooks cannot be added: the exit hook still applies.
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp dirs of harness processes that died without cleaning up (their pid is in the name). */
function sweepStaleTempDirs(): void {
  if (staleSwept) return;
  staleSwept = true;
  for (const name of readdirSync(tmpdir())) {
    const match = /^lamina-(?:registry|image)-(\d+)-/.exec(name);
    if (match && Number(match[1]) !== process.pid && !processAlive(Number(match[1]))) {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

/** A temp dir for harness files, named after this process and removed when the test file or the process ends. */
export async function harnessTempDir(kind: 'registry' | 'image'): Promise<string> {
  sweepStaleTempDirs();
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), `lamina-${kind}-${process.pid}-`));
  tempDirs.add(dir);
  return dir;
}

function registryConfig(dir: string, authSection: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(join(dir, 'storage'))}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    '  addr: 127.0.0.1:0',
    `  secret: ${randomBytes(16).toString('hex')}`,
    authSection,
  ].join('\n');
}

/** Any HTTP answer from /v2/ (200 or 401) means the registry serves. */
function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(`${url}/v2/`, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** The log so far (its first 64 KiB: the address comes in the first lines); '' before it exists. */
function readLog(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').slice(0, 64 * 1024);
  } catch {
    return '';
  }
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the registry, learns its port from the "listening on" log line and waits until /v2/ answers. The registry
 * writes its log to the file itself: through a pipe, a parent busy in a synchronous call (execFileSync of a scan)
 * would stop draining it, and the registry would stall mid-response on its next log line once the pipe is full.
 */
async function launch(dir: string, configFile: string, logFile: string): Promise<{ child: ChildProcess; host: string }> {
  const logFd = openSync(logFile, 'a');
  // setpriv --pdeathsig: the registry dies with a jest worker that is killed outright, where no exit hook runs.
  const [command, args] = existsSync(SETPRIV_BIN)
    ? [SETPRIV_BIN, ['--pdeathsig', 'KILL', REGISTRY_BIN, 'serve', configFile]]
    : [REGISTRY_BIN, ['serve', configFile]];
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: dir, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  running.set(child, dir);

  const host = await new Promise<string>((resolve, reject) => {
    const started = Date.now();
    let exited: string | undefined;
    const onError = (err: Error) => (exited = err.message);
    const onExit = (code: number | null, signal: string | null) => (exited = `exited early (code ${code}, signal ${signal})`);
    child.once('error', onError);
    child.once('exit', onExit);
    const poll = () => {
      const seen = readLog(logFile);
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(seen);
      const failure = match ? undefined : (exited ?? (Date.now() - started > START_TIMEOUT_MS ? 'did not report its address in time' : undefined));
      if (match || failure) {
        child.off('error', onError);
        child.off('exit', onExit);
      }
      if (match) resolve(match[1]);
      else if (failure) reject(new Error(`docker-registry failed to start: ${failure}\n${seen.slice(-2000)}`));
      else setTimeout(poll, 20);
    };
    poll();
  });

  const url = `http://${host}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await probe(url))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`docker-registry at ${host} never answered /v2/\n${logTail(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, host };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A real distribution 2.8 registry on a free loopback port, with fresh storage in a temp dir removed on stop. */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  if (!registryAvailable()) throw new Error(`${REGISTRY_BIN} is not installed (apt-get install docker-registry)`);
  const auth = opts.auth ?? 'none';
  const username = auth === 'none' ? undefined : (opts.username ?? 'lamina');
  const password = auth === 'none' ? undefined : (opts.password ?? 'lamina-test-password');
  const dir = await harnessTempDir('registry');
  const logFile = join(dir, 'registry.log');

  let tokenServer: TokenServer | undefined;
  let authSection = '';
  try {
    if (auth === 'basic') {
      const htpasswd = join(dir, 'htpasswd');
      await writeFile(htpasswd, `${username}:${bcrypt.hashSync(password!, 8)}\n`);
      authSection = ['auth:', '  htpasswd:', '    realm: lamina-test', `    path: ${JSON.stringify(htpasswd)}`].join('\n');
    } else if (auth === 'token') {
      tokenServer = await startTokenServer({ dir, username, password, publicPrefix: opts.publicPrefix });
      authSection = [
        'auth:',
        '  token:',
        `    realm: ${JSON.stringify(tokenServer.realm)}`,
        `    service: ${tokenServer.service}`,
        `    issuer: ${tokenServer.issuer}`,
        `    rootcertbundle: ${JSON.stringify(tokenServer.certFile)}`,
      ].join('\n');
    }
    const configFile = join(dir, 'config.yml');
    await writeFile(configFile, registryConfig(dir, authSection));

    const { child, host } = await launch(dir, configFile, logFile).catch(async (err: unknown) => {
      for (const [c, d] of running) if (d === dir) await stopChild(c).finally(() => running.delete(c));
      throw err;
    });

    const tokens = tokenServer;
    return {
      host,
      url: `http://${host}`,
      auth,
      username,
      password,
      get tokenRequests() {
        return tokens?.requests;
      },
      tokenRealm: tokens?.realm,
      logFile,
      async stop() {
        await stopChild(child);
        running.delete(child);
        await tokens?.stop();
        await rm(dir, { recursive: true, force: true });
        tempDirs.delete(dir);
      },
    };
  } catch (err) {
    await tokenServer?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
