import { InvalidVersionError } from './errors';
import { compareDigits, compareStrings, type VersionScheme } from './scheme';

/** Gem::Version::ANCHORED_VERSION_PATTERN, blanks around allowed. */
const GEM_VERSION = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

type Segment = string | bigint;

/**
 * First words of the platforms a platform gem's full name ends in (Gem::Platform's CPUs, and the OSes that stand
 * alone): `nokogiri-1.13.9-x86_64-linux`, `-arm64-darwin`, `-x64-mingw-ucrt`, `-universal-darwin-19`, `-java`.
 */
export const PLATFORM_WORDS: ReadonlySet<string> = new Set([
  'aarch64',
  'arm',
  'arm64',
  'armv6',
  'armv7',
  'armv8',
  'dalvik',
  'dotnet',
  'i386',
  'i486',
  'i586',
  'i686',
  'java',
  'jruby',
  'loongarch64',
  'mingw32',
  'mips',
  'mips64',
  'mips64el',
  'mipsel',
  'mswin32',
  'mswin64',
  'powerpc',
  'powerpc64',
  'powerpc64le',
  'ppc',
  'ppc64',
  'ppc64le',
  'riscv64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'universal',
  'wasm32',
  'x64',
  'x86',
  'x86_64',
]);

const PLATFORM_SUFFIX = /^(\s*[0-9][0-9a-zA-Z.]*)-([a-z0-9_]+)((?:-[A-Za-z0-9_.]+)*\s*)$/i;

/**
 * `1.13.9-x86_64-linux` → `1.13.9`: a version as Bundler and gem file names write it for a platform gem. The platform
 * says which build was installed, not which release, so it is dropped; a suffix that does not start with a platform
 * word (`1.0.0-rc1`, `1.0.0-1`) is Gem::Version's own `-` pre-release form and stays.
 */
export function withoutPlatform(version: string): string {
  const m = PLATFORM_SUFFIX.exec(version);
  return m && PLATFORM_WORDS.has(m[2].toLowerCase()) ? m[1] : version;
}

/**
 * Gem::Version#canonical_segments: `-` means `.pre.`; digit and letter runs are segments; the
 * release part (before the first letter segment) and the pre-release part each lose trailing zeros.
 */
function canonicalSegments(input: string): Segment[] {
  const m = GEM_VERSION.exec(withoutPlatform(input));
  if (!m) {
    throw new InvalidVersionError('rubygems', input, 'malformed version number string');
  }
  const text = (m[1] ?? '0').replace(/-/g, '.pre.');
  const segments: Segment[] = (text.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^[0-9]/.test(s) ? BigInt(s) : s));
  const firstString = segments.findIndex((s) => typeof s === 'string');
  const release = firstString < 0 ? segments : segments.slice(0, firstString);
  const prerelease = firstString < 0 ? [] : segments.slice(firstString);
  return [...dropTrailingZeros(release), ...dropTrailingZeros(prerelease)];
}

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0 && segments[end - 1] === 0n) end--;
  return segments.slice(0, end);
}

function compareSegments(a: Segment[], b: Segment[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x === y) continue;
    if (typeof x === 'string' && typeof y !== 'string') return -1;
    if (typeof x !== 'string' && typeof y === 'string') return 1;
    if (typeof x === 'string' && typeof y === 'string') return compareStrings(x, y);
    return compareDigits(String(x), String(y));
  }
  return 0;
}

/**
 * Gem::Version#<=>: letters make a pre-release, which sorts below any number in its place. A platform gem's
 * version (`1.2.0-x86_64-linux`) is ordered as its release (1.2.0).
 */
export const rubygemsScheme: VersionScheme = {
  name: 'rubygems',
  compare: (a, b) => compareSegments(canonicalSegments(a), canonicalSegments(b)),
  isValid(version) {
    try {
      canonicalSegments(version);
      return true;
    } catch {
      return false;
    }
  },
};
