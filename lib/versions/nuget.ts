import { InvalidVersionError } from './errors';
import { comparePrerelease } from './prerelease';
import { compareDigits, type VersionScheme } from './scheme';

interface NuGetVersion {
  parts: [string, string, string, string];
  release: string[];
}

const IDS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const NUGET = new RegExp(`^([0-9]+)(?:\\.([0-9]+))?(?:\\.([0-9]+))?(?:\\.([0-9]+))?(?:-(${IDS}))?(?:\\+(${IDS}))?$`);
const MAX_PART = 2 ** 31 - 1;

/** NuGetVersion.Parse: 1 to 4 numeric parts (missing ones are 0), optional labels and metadata. */
function parseNuGetVersion(input: string): NuGetVersion {
  const m = NUGET.exec(input.trim());
  if (!m) throw new InvalidVersionError('nuget', input, 'not a NuGet version');
  const parts = [m[1], m[2] ?? '0', m[3] ?? '0', m[4] ?? '0'] as [string, string, string, string];
  if (parts.some((p) => compareDigits(p, String(MAX_PART)) > 0)) {
    throw new InvalidVersionError('nuget', input, 'version part is larger than a 32-bit integer');
  }
  return { parts, release: m[5] ? m[5].split('.') : [] };
}

/** VersionComparer.Default: four numeric parts, then release labels case-insensitively; metadata ignored. */
function compareNuGetVersions(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const r = compareDigits(a.parts[i], b.parts[i]);
    if (r !== 0) return r;
  }
  return comparePrerelease(a.release, b.release, true);
}

export const nugetScheme: VersionScheme = {
  name: 'nuget',
  compare: (a, b) => compareNuGetVersions(parseNuGetVersion(a), parseNuGetVersion(b)),
  isValid(version) {
    try {
      parseNuGetVersion(version);
      return true;
    } catch {
      return false;
    }
  },
};
