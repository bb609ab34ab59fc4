/**
 * What a Java archive says about itself: `pom.properties`, `META-INF/MANIFEST.MF`, and its file name.
 *
 * Maven coordinates are `groupId:artifactId`, which is how OSV names Maven packages. pom.properties (written by
 * maven-archiver at `META-INF/maven/<groupId>/<artifactId>/pom.properties`) states them; a manifest or a file name
 * only hints at them, and the heuristics below derive a groupId only where the hint is strong (see
 * {@link manifestIdentity}). Where no groupId can be had, the name is the artifactId alone: such a package is still
 * inventoried (SBOM, components), but advisories are looked up by exact name, and no OSV Maven name lacks a group,
 * so it never matches one.
 */

/** Maven's own pattern for groupId and artifactId. */
const MAVEN_ID = /^[A-Za-z0-9_.-]+$/;
/** A groupId as found in manifests: dotted reverse-DNS, at least two segments. */
const DOTTED_GROUP = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;
/** Implementation-Title used as an artifactId only when it is spelled like one: lower case, no spaces. */
const TITLE_ARTIFACT = /^[a-z0-9][a-z0-9_.-]*$/;
/** The file name extensions of Java archives. */
export const ARCHIVE_EXTENSIONS = ['jar', 'war', 'ear', 'jpi', 'hpi'] as const;

export interface Coordinates {
  /** Undefined when no groupId could be derived. */
  groupId?: string;
  artifactId: string;
  version: string;
}

/** The Maven name of coordinates: `groupId:artifactId`, or the bare artifactId when the group is unknown. */
export function mavenName(coordinates: Coordinates): string {
  return coordinates.groupId ? `${coordinates.groupId}:${coordinates.artifactId}` : coordinates.artifactId;
}

/** A version as Maven tools print one: non-empty, no whitespace, no unresolved `${…}` property. */
function validVersion(version: string | undefined): version is string {
  return version !== undefined && version !== '' && !/\s/.test(version) && !version.includes('${');
}

const PROPERTY_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** Undoes the escapes of a `.properties` key or value (`\t`, `\uXXXX`, `\=` …). */
function unescapeProperty(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(u[0-9A-Fa-f]{4}|.)/g, (_, sequence: string) =>
    sequence.length === 5 ? String.fromCharCode(Number.parseInt(sequence.slice(1), 16)) : (PROPERTY_ESCAPES[sequence] ?? sequence),
  );
}

/**
 * A Java `.properties` file, as `java.util.Properties.load(InputStream)` reads one: ISO-8859-1, `#`/`!` comments,
 * lines continued by a trailing backslash, keys ending at an unescaped `=`, `:` or whitespace. A repeated key keeps
 * its last value.
 */
export function parseProperties(content: Buffer): Map<string, string> {
  const properties = new Map<string, string>();
  const lines = content.toString('latin1').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    // An odd number of trailing backslashes continues the line; the next line's leading whitespace is dropped.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, '');
    }
    if (/(^|[^\\])(\\\\)*\\$/.test(line)) line = line.slice(0, -1);
    const split = /^((?:\\.|[^\\=: \t\f])*)[ \t\f]*(?:[=:][ \t\f]*)?(.*)$/s.exec(line);
    if (!split) continue;
    properties.set(unescapeProperty(split[1]), unescapeProperty(split[2]));
  }
  return properties;
}

/**
 * The coordinates of a pom.properties, or a reason it has none: groupId, artifactId and version must all be there,
 * spelled as Maven spells them.
 */
export function pomCoordinates(content: Buffer): Coordinates | string {
  const properties = parseProperties(content);
  const groupId = properties.get('groupId')?.trim();
  const artifactId = properties.get('artifactId')?.trim();
  const version = properties.get('version')?.trim();
  const missing = [
    groupId && MAVEN_ID.test(groupId) ? undefined : 'groupId',
    artifactId && MAVEN_ID.test(artifactId) ? undefined : 'artifactId',
    validVersion(version) ? undefined : 'version',
  ].filter((field) => field !== undefined);
  if (missing.length > 0) return `no valid ${missing.join(', ')}`;
  return { groupId: groupId!, artifactId: artifactId!, version: version! };
}

/** The main attributes of a manifest, by lower-cased name (attribute names are case-insensitive). */
export type Manifest = Map<string, string>;

/**
 * The main section of a JAR manifest: `Name: value` lines up to the first blank line, continued by lines starting
 * with one space. Continuations are joined before decoding, since a 72-byte line may split a UTF-8 character. The
 * first occurrence of an attribute wins; values are trimmed.
 */
export function parseManifest(content: Buffer): Manifest {
  const attributes: Manifest = new Map();
  const logical: Buffer[] = [];
  let current: Buffer[] | undefined;
  let at = 0;
  while (at <= content.length) {
    let end = at;
    while (end < content.length && content[end] !== 0x0a && content[end] !== 0x0d) end++;
    const line = content.subarray(at, end);
    at = end + (content[end] === 0x0d && content[end + 1] === 0x0a ? 2 : 1);
    if (line.length === 0) break;
    if (line[0] === 0x20 && current) current.push(line.subarray(1));
    else {
      if (current) logical.push(Buffer.concat(current));
      current = [line];
    }
  }
  if (current) logical.push(Buffer.concat(current));
  for (const line of logical) {
    const text = line.toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) continue;
    const name = text.slice(0, colon).trim().toLowerCase();
    if (!attributes.has(name)) attributes.set(name, text.slice(colon + 1).trim());
  }
  return attributes;
}

/** An attribute's value, unless it is empty or a localisation placeholder (`Bundle-Name: %bundleName`). */
function attribute(manifest: Manifest, name: string): string | undefined {
  const value = manifest.get(name.toLowerCase());
  return value && !value.startsWith('%') ? value : undefined;
}

/** The first word of a version attribute (`1.0-SNAPSHOT (private-abc)` is `1.0-SNAPSHOT`), when it is a version. */
function versionAttribute(manifest: Manifest, name: string): string | undefined {
  const word = attribute(manifest, name)?.split(/\s+/)[0];
  return validVersion(word) ? word : undefined;
}

/** The archive's licence as its manifest names it: Jenkins' `Plugin-License-Name[-N]`, else OSGi `Bundle-License`. */
export function manifestLicense(manifest: Manifest): string | undefined {
  const jenkins: string[] = [];
  for (const [name, value] of manifest) {
    if ((name === 'plugin-license-name' || /^plugin-license-name-\d+$/.test(name)) && value) jenkins.push(value);
  }
  if (jenkins.length > 0) return jenkins.join('; ');
  return attribute(manifest, 'Bundle-License');
}

/** Archive name stems whose last `-<digit>` starts the version: `log4j-1.2-api-2.19.0` is log4j-1.2-api 2.19.0. */
const NAME_VERSION = /^(.+)-(\d\S*)$/;
/** Maven's timestamped snapshots: `foo-1.0-20240101.123456-7`. */
const NAME_TIMESTAMPED_SNAPSHOT = /^(.+?)-(\d[^-\s]*-\d{8}\.\d{6}-\d+)$/;

/** The file name without its archive extension, or undefined when it has none. */
export function archiveStem(fileName: string): string | undefined {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const extension = fileName.slice(dot + 1).toLowerCase();
  return (ARCHIVE_EXTENSIONS as readonly string[]).includes(extension) ? fileName.slice(0, dot) : undefined;
}

/**
 * artifactId and version from a file name as Maven names artifacts (`<artifactId>-<version>.jar`): the version
 * starts at the last `-` followed by a digit (`commons-lang3-3.12.0.jar` is commons-lang3 3.12.0), except for
 * timestamped snapshots. Undefined when the name has no version.
 */
export function fileNameCoordinates(fileName: string): { artifactId: string; version: string } | undefined {
  const stem = archiveStem(fileName);
  if (!stem) return undefined;
  const match = NAME_TIMESTAMPED_SNAPSHOT.exec(stem) ?? NAME_VERSION.exec(stem);
  if (!match || !MAVEN_ID.test(match[1]) || !validVersion(match[2])) return undefined;
  return { artifactId: match[1], version: match[2] };
}

/** Bundle-SymbolicName without its directives (`org.foo.bar;singleton:=true`). */
function symbolicName(manifest: Manifest): string | undefined {
  const name = attribute(manifest, 'Bundle-SymbolicName')?.split(';')[0].trim();
  return name && MAVEN_ID.test(name) ? name : undefined;
}

/**
 * The groupId for `artifactId` from the manifest, where it says so with some confidence, tried in this order:
 *
 * 1. Bundle-SymbolicName is `<groupId>.<artifactId>` with a dashed artifactId (`com.fasterxml.jackson.core.jackson-databind`):
 *    maven-bundle-plugin's fallback form; a dash cannot be part of a Java package name, so the split is unambiguous.
 * 2. Bundle-SymbolicName's last segment is the artifactId (`com.google.guava` for guava): the plugin's form for an
 *    artifactId equal to the group's last segment.
 * 3. Implementation-Vendor-Id, maven-archiver's groupId entry, when dotted — except `org.apache`, which the Apache
 *    parent POM sets for every Apache project whatever its groupId (log4j-core, commons-*).
 * 4. Bundle-SymbolicName is `<groupId>.<suffix>` for an artifactId `<last group segment>-<suffix>` with a group of at
 *    least three segments (`org.apache.logging.log4j.core` for log4j-core): the plugin's form for an artifactId
 *    starting with the group's last segment.
 *
 * Projects that relocated their groupId defeat rule 4 (commons-pool 1.x, groupId commons-pool, gets
 * org.apache.commons): a wrong group matches no advisory, as an unknown one does not; pom.properties, when present,
 * is always preferred to all of this.
 */
function manifestGroup(manifest: Manifest, artifactId: string): string | undefined {
  const bsn = symbolicName(manifest);
  if (bsn && artifactId.includes('-') && bsn.endsWith(`.${artifactId}`)) {
    const group = bsn.slice(0, -artifactId.length - 1);
    if (DOTTED_GROUP.test(group)) return group;
  }
  if (bsn && DOTTED_GROUP.test(bsn) && bsn.slice(bsn.lastIndexOf('.') + 1) === artifactId) return bsn;
  const vendorId = attribute(manifest, 'Implementation-Vendor-Id');
  if (vendorId && DOTTED_GROUP.test(vendorId) && vendorId !== 'org.apache') return vendorId;
  if (bsn) {
    const dash = artifactId.indexOf('-');
    if (dash > 0) {
      const head = artifactId.slice(0, dash);
      const suffix = artifactId.slice(dash + 1);
      if (bsn.endsWith(`.${head}.${suffix}`)) {
        const group = bsn.slice(0, -suffix.length - 1);
        if (group.split('.').length >= 3 && DOTTED_GROUP.test(group)) return group;
      }
    }
  }
  return undefined;
}

/**
 * Coordinates from a manifest (possibly empty) and the archive's file name, for an archive without pom.properties.
 *
 * Jenkins plugins (`.hpi`/`.jpi`, maven-hpi-plugin) state theirs: `Group-Id`, `Short-Name` (or `Extension-Name`) and
 * `Plugin-Version`. Otherwise:
 * - artifactId: the file name's (`name-1.2.jar`), else Implementation-Title when spelled like an artifactId
 *   (lower case, no spaces: maven-archiver writes the project's name there, which is the artifactId only when the
 *   POM names none), else, for a file name without a version, the name without extension (`commons-lang3.jar`, as
 *   Debian installs jars);
 * - version: Implementation-Version, else the file name's, else Bundle-Version (OSGi versions pad to three
 *   numbers, `1.6.0` for Maven's 1.6);
 * - groupId: as {@link manifestGroup} derives it for the first artifactId candidate that yields one; else none.
 * Undefined when no artifactId or no version can be had.
 */
export function manifestIdentity(manifest: Manifest, fileName: string): Coordinates | undefined {
  const jenkinsGroup = attribute(manifest, 'Group-Id');
  const jenkinsName = attribute(manifest, 'Short-Name') ?? attribute(manifest, 'Extension-Name');
  const jenkinsVersion = versionAttribute(manifest, 'Plugin-Version') ?? versionAttribute(manifest, 'Implementation-Version');
  if (jenkinsGroup && jenkinsName && jenkinsVersion && MAVEN_ID.test(jenkinsGroup) && MAVEN_ID.test(jenkinsName)) {
    return { groupId: jenkinsGroup, artifactId: jenkinsName, version: jenkinsVersion };
  }
  const fromName = fileNameCoordinates(fileName);
  const version = versionAttribute(manifest, 'Implementation-Version') ?? fromName?.version ?? versionAttribute(manifest, 'Bundle-Version');
  if (!version) return undefined;
  const title = attribute(manifest, 'Implementation-Title');
  const stem = archiveStem(fileName);
  const candidates = [
    fromName?.artifactId,
    title && TITLE_ARTIFACT.test(title) ? title : undefined,
    !fromName && stem && MAVEN_ID.test(stem) ? stem : undefined,
  ].filter((candidate, index, all): candidate is string => candidate !== undefined && all.indexOf(candidate) === index);
  if (candidates.length === 0) return undefined;
  for (const artifactId of candidates) {
    const groupId = manifestGroup(manifest, artifactId);
    if (groupId) return { groupId, artifactId, version };
  }
  return { artifactId: candidates[0], version };
}
