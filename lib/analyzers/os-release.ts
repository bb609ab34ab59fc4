import { distributionOf } from '../distros';
import type { ImagePath, LayerFile } from '../layers/types';
import type { HintedAnalyzer } from './path-hints';
import type { AnalysisResult, OsRelease } from './types';

/**
 * Which file describes the OS, strongest first. os-release without VERSION_ID ranks below the distribution's own
 * release file: distroless Debian ships `ID=debian` alone and the version only in `etc/debian_version`.
 * lsb-release ranks above debian_version, which on Ubuntu says `bookworm/sid`.
 */
const PRIORITY = {
  osRelease: 100,
  usrLibOsRelease: 90,
  distributionRelease: 60,
  redhatRelease: 55,
  systemRelease: 50,
  debianVersion: 50,
  alpineRelease: 60,
  lsbRelease: 52,
  osReleaseWithoutVersion: 20,
  usrLibOsReleaseWithoutVersion: 19,
} as const;

const RELEASE_FILE_PRIORITY: Record<string, number> = {
  'etc/redhat-release': PRIORITY.redhatRelease,
  'etc/system-release': PRIORITY.systemRelease,
  'etc/centos-release': PRIORITY.distributionRelease,
  'etc/rocky-release': PRIORITY.distributionRelease,
  'etc/almalinux-release': PRIORITY.distributionRelease,
  'etc/oracle-release': PRIORITY.distributionRelease,
  'etc/fedora-release': PRIORITY.distributionRelease,
};

const OS_RELEASE_FILES = ['etc/os-release', 'usr/lib/os-release'];
const WANTED = new Set<ImagePath>([...OS_RELEASE_FILES, 'etc/lsb-release', 'etc/debian_version', 'etc/alpine-release', ...Object.keys(RELEASE_FILE_PRIORITY)]);

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/**
 * Reads a shell-style value as os-release(5) allows: unquoted, '…' literal, "…" with backslash escapes of
 * `$`, `` ` ``, `"` and `\`; outside quotes a backslash escapes any character. Undefined when a quote is unclosed.
 */
function unquote(raw: string): string | undefined {
  let out = '';
  let index = 0;
  while (index < raw.length) {
    const char = raw[index];
    if (char === "'") {
      const end = raw.indexOf("'", index + 1);
      if (end < 0) return undefined;
      out += raw.slice(index + 1, end);
      index = end + 1;
    } else if (char === '"') {
      index++;
      for (;;) {
        if (index >= raw.length) return undefined;
        const inner = raw[index];
        if (inner === '"') break;
        if (inner === '\\' && index + 1 < raw.length && '$`"\\'.includes(raw[index + 1])) {
          out += raw[index + 1];
          index += 2;
        } else {
          out += inner;
          index++;
        }
      }
      index++;
    } else if (char === '\\' && index + 1 < raw.length) {
      out += raw[index + 1];
      index += 2;
    } else if (char === ' ' || char === '\t') {
      // Unquoted whitespace ends the value (`KEY=value # comment`).
      break;
    } else {
      out += char;
      index++;
    }
  }
  return out;
}

/** Parses os-release / lsb-release assignments. Later assignments win, as when the shell sources the file. */
export function parseShellAssignments(text: string): { values: Map<string, string>; problems: string[] } {
  const values = new Map<string, string>();
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = ASSIGNMENT.exec(line);
    const value = match ? unquote(match[2]) : undefined;
    if (!match || value === undefined) {
      problems.push(`line ${index + 1}: not a KEY=value assignment`);
      return;
    }
    values.set(match[1], value);
  });
  return { values, problems };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** What image build templates leave in VERSION_ID when nothing filled it in (Arch Linux images ship it). */
const VERSION_ID_PLACEHOLDER = 'TEMPLATE_VERSION_ID';

function versionIdOf(value: string | undefined): string {
  const versionId = nonEmpty(value);
  return versionId === undefined || versionId === VERSION_ID_PLACEHOLDER ? '' : versionId;
}

/** The OS an os-release file names, or undefined when it names no ID. */
export function parseOsRelease(text: string): { os?: OsRelease; problems: string[] } {
  const { values, problems } = parseShellAssignments(text);
  const id = nonEmpty(values.get('ID'))?.toLowerCase();
  if (!id) return { problems: [...problems, 'no ID'] };
  const os: OsRelease = { id, versionId: versionIdOf(values.get('VERSION_ID')) };
  const codename = nonEmpty(values.get('VERSION_CODENAME')) ?? nonEmpty(values.get('UBUNTU_CODENAME'));
  if (codename) os.codename = codename;
  const prettyName = nonEmpty(values.get('PRETTY_NAME'));
  if (prettyName) os.prettyName = prettyName;
  const idLike = nonEmpty(values.get('ID_LIKE'))?.toLowerCase().split(/\s+/);
  if (idLike) os.idLike = idLike;
  return { os, problems };
}

function parseLsbRelease(text: string): OsRelease | undefined {
  const { values } = parseShellAssignments(text);
  const id = nonEmpty(values.get('DISTRIB_ID'))?.toLowerCase().replace(/\s+/g, '');
  if (!id) return undefined;
  const os: OsRelease = { id, versionId: nonEmpty(values.get('DISTRIB_RELEASE')) ?? '' };
  const codename = nonEmpty(values.get('DISTRIB_CODENAME'));
  if (codename) os.codename = codename;
  const prettyName = nonEmpty(values.get('DISTRIB_DESCRIPTION'));
  if (prettyName) os.prettyName = prettyName;
  return os;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0].trim();
}

/**
 * `12.4` → Debian 12 (os-release VERSION_ID is the major); `trixie/sid` (testing) or `sid` names no release: the
 * version stays "" (Debian unstable) and the codename is kept.
 */
export function parseDebianVersion(text: string): OsRelease | undefined {
  const line = firstLine(text);
  const numbered = /^(\d+)(?:\.\d+)*$/.exec(line);
  if (numbered) return { id: 'debian', versionId: numbered[1] };
  const codename = /^([a-z]+)(?:\/sid)?$/.exec(line);
  if (codename) return { id: 'debian', versionId: '', codename: codename[1] };
  return undefined;
}

/** `3.18.4` → Alpine 3.18.4; edge builds such as `3.19_alpha20230901` keep their text. */
export function parseAlpineRelease(text: string): OsRelease | undefined {
  const line = firstLine(text);
  return /^\d+\.\d+[0-9A-Za-z._-]*$/.test(line) ? { id: 'alpine', versionId: line } : undefined;
}

const RELEASE_LINE_IDS: Array<[RegExp, string]> = [
  [/^Red Hat Enterprise Linux\b/i, 'rhel'],
  [/^CentOS\b/i, 'centos'],
  [/^Rocky Linux\b/i, 'rocky'],
  [/^AlmaLinux\b/i, 'almalinux'],
  [/^Amazon Linux\b/i, 'amzn'],
  [/^Fedora\b/i, 'fedora'],
  [/^Oracle Linux\b/i, 'ol'],
  [/^Scientific Linux\b/i, 'scientific'],
];

/** `Rocky Linux release 9.3 (Blue Onyx)` → rocky 9.3; CentOS keeps the major only, as its os-release does. */
export function parseRedHatRelease(text: string): OsRelease | undefined {
  const line = firstLine(text);
  const match = /^(.*?)\s+release\s+(\d+(?:\.\d+)*)/i.exec(line);
  if (!match) return undefined;
  const id = RELEASE_LINE_IDS.find(([pattern]) => pattern.test(match[1]))?.[1];
  if (!id) return undefined;
  const versionId = id === 'centos' ? match[2].split('.')[0] : match[2];
  return { id, versionId, prettyName: line };
}

function analyzeFile(path: ImagePath, text: string): AnalysisResult {
  const found = (os: OsRelease | undefined, priority: number, problems: string[] = []): AnalysisResult => {
    const notes = problems.map((problem) => `${path}: ${problem}`);
    if (!os) return { evidence: [], notes: notes.length ? notes : [`${path}: no operating system recognised`] };
    return notes.length ? { evidence: [{ kind: 'os', os, priority }], notes } : { evidence: [{ kind: 'os', os, priority }] };
  };
  switch (path) {
    case 'etc/os-release':
    case 'usr/lib/os-release': {
      const { os, problems } = parseOsRelease(text);
      const etc = path === 'etc/os-release';
      const priority = os?.versionId
        ? etc
          ? PRIORITY.osRelease
          : PRIORITY.usrLibOsRelease
        : etc
          ? PRIORITY.osReleaseWithoutVersion
          : PRIORITY.usrLibOsReleaseWithoutVersion;
      return found(os, priority, problems);
    }
    case 'etc/lsb-release':
      return found(parseLsbRelease(text), PRIORITY.lsbRelease);
    case 'etc/debian_version':
      return found(parseDebianVersion(text), PRIORITY.debianVersion);
    case 'etc/alpine-release':
      return found(parseAlpineRelease(text), PRIORITY.alpineRelease);
    default: {
      const priority = RELEASE_FILE_PRIORITY[path];
      return priority === undefined ? { evidence: [], notes: [`${path}: not a release file`] } : found(parseRedHatRelease(text), priority);
    }
  }
}

/** Finds the distribution from os-release and the distribution-specific release files. */
export const osReleaseAnalyzer: HintedAnalyzer = {
  name: 'os-release',
  // 2: a VERSION_ID placeholder counts as no version; debian_version codenames are kept.
  version: 2,
  maxFileSize: 64 * 1024,
  pathHints: { exact: [...WANTED] },
  wants: (path) => WANTED.has(path),
  analyze(file: LayerFile): AnalysisResult {
    // An empty file is what a dangling or cross-layer symlink leaves: nothing to say about the OS.
    if (file.content.length === 0) return { evidence: [] };
    return analyzeFile(file.path, file.content.toString('utf8'));
  },
};

/**
 * StackRox's `scan.operatingSystem`: the distribution descriptor's form (`debian:12`, `alpine:v3.18`, `rhel:8`),
 * else `<ID>:<VERSION_ID>`, the bare ID when an OS names no version, `unknown` when nothing is known.
 */
export function formatOperatingSystem(os?: OsRelease): string {
  const id = os?.id.trim().toLowerCase();
  if (!os || !id) return 'unknown';
  const normalised = { ...os, id };
  const distribution = distributionOf(normalised);
  if (distribution) return distribution.operatingSystem(normalised);
  const versionId = os.versionId.trim();
  return versionId ? `${id}:${versionId}` : id;
}
