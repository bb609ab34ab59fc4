#!/usr/bin/env node
// Installs, through apt-get, the system tools the integration tests use and npm cannot provide.
// Never fails `npm test`: without root or apt it says which tests will skip and exits 0.

const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { delimiter, join } = require('node:path');

const TOOLS = [
  { pkg: 'docker-registry', bin: 'docker-registry', skips: 'every test against a real registry (image pulls, auth, faults, scans)' },
  { pkg: 'mmdebstrap', bin: 'mmdebstrap', skips: 'the Debian bookworm root filesystem scan' },
  { pkg: 'zstd', bin: 'zstd', skips: 'zstd-compressed layer tests' },
  { pkg: 'openssl', bin: 'openssl', skips: 'token-auth registry tests (the token signing certificate)' },
  { pkg: 'tar', bin: 'tar', skips: 'the Debian bookworm root filesystem scan' },
];

function onPath(bin) {
  const dirs = (process.env.PATH || '').split(delimiter).concat(['/usr/bin', '/bin', '/usr/sbin', '/sbin']);
  return dirs.some((dir) => dir && existsSync(join(dir, bin)));
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function isDebian() {
  return process.platform === 'linux' && existsSync('/etc/debian_version') && onPath('apt-get');
}

function aptGet(args) {
  const result = spawnSync('apt-get', args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

function reportSkips(missing, reason) {
  for (const tool of missing) console.warn(`test-prereqs: ${tool.pkg} is missing (${reason}); will skip ${tool.skips}`);
}

function main() {
  let missing = TOOLS.filter((tool) => !onPath(tool.bin));
  if (missing.length > 0) {
    if (!isDebian()) {
      reportSkips(missing, 'not a Debian system with apt-get');
    } else if (!isRoot()) {
      reportSkips(missing, `not root; run: sudo apt-get install --no-install-recommends ${missing.map((t) => t.pkg).join(' ')}`);
    } else {
      const pkgs = missing.map((t) => t.pkg);
      console.log(`test-prereqs: installing ${pkgs.join(' ')} with apt-get`);
      if (!aptGet(['update', '-qq']) || !aptGet(['install', '-y', '-qq', '--no-install-recommends', ...pkgs])) {
        console.warn('test-prereqs: apt-get failed');
      }
      missing = TOOLS.filter((tool) => !onPath(tool.bin));
      reportSkips(missing, 'apt-get could not install it');
    }
  }
  if (!isRoot() && !missing.some((t) => t.pkg === 'mmdebstrap')) {
    console.warn('test-prereqs: not root; will skip the Debian bookworm root filesystem scan (mmdebstrap --mode=root)');
  }
}

main();
process.exit(0);
