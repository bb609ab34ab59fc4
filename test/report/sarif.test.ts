import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { FINGERPRINT_KEY, fingerprintOf, imagePathUri, levelOf, renderSarif } from '../../lib/report/sarif';
import { SHARED_DIR } from '../support/shared-fixtures';
import { FINDINGS, finding, IMAGE, PACKAGES, reportInput } from './inputs';

const SCHEMA = join(SHARED_DIR, 'schemas', 'sarif-2.1.0.schema.json');

/** SARIF logs are read as plain JSON here. */
type Json = any;
const runOf = (log: Json) => log.runs[0];

describe('renderSarif', () => {
  let validate: ValidateFunction | undefined;

  beforeAll(() => {
    if (!existsSync(SCHEMA)) {
      console.warn(`SKIPPED SARIF schema validation: ${SCHEMA} is absent (set LAMINA_SHARED_DIR to use another copy of ../shared)`);
      return;
    }
    // The official schema declares draft 2020-12.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  });

  const expectValid = (log: unknown) => {
    if (!validate) return;
    const valid = validate(log);
    expect((validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)).toEqual([]);
    expect(valid).toBe(true);
  };

  it.each([
    ['the sample image', reportInput({ notes: ['OS_CVES_UNAVAILABLE', 'PARTIAL_SCAN_DATA'] })],
    ['an image without findings', reportInput({ findings: [] })],
    [
      'an image without packages, tag or informationUri',
      reportInput({
        findings: [],
        inventory: { packages: [], partial: false, warnings: [] },
        image: { ...IMAGE, tag: undefined },
        tool: { name: 'lamina', version: 'dev' },
      }),
    ],
  ])('is valid SARIF 2.1.0 for %s', (_name, input) => {
    const log = renderSarif(input) as Json;
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-schema-2\.1\.0\.json$/);
    expect(log.runs).toHaveLength(1);
    expectValid(JSON.parse(JSON.stringify(log)));
  });

  it('is checked by a schema that refuses invalid logs', () => {
    if (!validate) return;
    // The validator itself is not vacuous: a result without a message is refused.
    const log = renderSarif(reportInput()) as Json;
    delete runOf(log).results[0].message;
    expect(validate(log)).toBe(false);
  });

  it('names the tool', () => {
    const driver = runOf(renderSarif(reportInput())).tool.driver;
    expect(driver).toMatchObject({ name: 'lamina', version: '0.1.0', semanticVersion: '0.1.0', informationUri: 'https://example.com/lamina' });
    expect(runOf(renderSarif(reportInput({ tool: { name: 'lamina', version: 'dev' } }))).tool.driver).not.toHaveProperty('informationUri');
  });

  it('has one rule per vulnerability id and one result per finding, pointing at its rule', () => {
    const run = runOf(renderSarif(reportInput()));
    const ruleIds = run.tool.driver.rules.map((r: Json) => r.id);
    expect(new Set(ruleIds).size).toBe(ruleIds.length);
    expect([...ruleIds].sort()).toEqual([...new Set(FINDINGS.map((f) => f.id))].sort());
    expect(run.results).toHaveLength(FINDINGS.length);
    for (const result of run.results) expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    // CVE-2023-5678 is found in libssl3 and openssl: one rule, two results.
    expect(run.results.filter((r: Json) => r.ruleId === 'CVE-2023-5678')).toHaveLength(2);
  });

  it('describes each rule from its findings', () => {
    const rules = new Map(runOf(renderSarif(reportInput())).tool.driver.rules.map((r: Json) => [r.id, r]));
    const zlib: Json = rules.get('CVE-2023-45853');
    expect(zlib.shortDescription.text).toBe(
      'MiniZip in zlib through 1.3 has an integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_64',
    );
    expect(zlib.helpUri).toBe('https://security-tracker.debian.org/tracker/CVE-2023-45853');
    expect(zlib.properties).toEqual({ 'security-severity': '9.8', tags: ['security', 'vulnerability'] });
    expect(zlib.defaultConfiguration).toEqual({ level: 'error' });
    expect(zlib.help.markdown).toContain('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
    const express: Json = rules.get('CVE-2024-29041');
    expect(express.helpUri).toBe('https://github.com/advisories/GHSA-rv95-896h-c2vc');
    expect(express.properties['security-severity']).toBe('5.4');
    expect(express.help.markdown).toContain('Also known as: GHSA-rv95-896h-c2vc');
    // Rated by CVSS v2 only.
    expect((rules.get('CVE-2005-2541') as Json).properties['security-severity']).toBe('10.0');
    expect((rules.get('CVE-2005-2541') as Json).defaultConfiguration.level).toBe('note');
    // Nothing rates it: no security-severity, a warning.
    const unrated: Json = rules.get('CVE-2024-12243');
    expect(unrated.properties).toEqual({ tags: ['security', 'vulnerability'] });
    expect(unrated.defaultConfiguration.level).toBe('warning');
  });

  it("gives a rated finding without CVSS its rating's band as security-severity", () => {
    const vendorOnly = finding({
      pkg: 4,
      id: 'CVE-2022-3715',
      rating: 'LOW',
      vendorRating: 'LOW',
      summary: 'bash: a heap-buffer-overflow in valid_parameter_transform',
    });
    const rule = runOf(renderSarif(reportInput({ findings: [vendorOnly] }))).tool.driver.rules[0];
    expect(rule.properties['security-severity']).toBe('2.0');
    const noSummary = runOf(renderSarif(reportInput({ findings: [{ ...vendorOnly, summary: '', links: [] }] }))).tool.driver.rules[0];
    expect(noSummary.shortDescription.text).toBe('CVE-2022-3715');
    expect(noSummary).not.toHaveProperty('helpUri');
  });

  it('maps severities to levels', () => {
    expect(['CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW', 'UNKNOWN'].map((s) => levelOf(s as never))).toEqual(['error', 'error', 'warning', 'note', 'warning']);
    const results = runOf(renderSarif(reportInput())).results;
    for (const result of results) {
      const f = FINDINGS.find((x) => x.id === result.ruleId)!;
      expect(result.level).toBe(levelOf(f.rating ?? 'UNKNOWN'));
    }
  });

  it('says in each message which package, installed version and fix', () => {
    const results = runOf(renderSarif(reportInput())).results;
    const zlib = results.find((r: Json) => r.ruleId === 'CVE-2023-45853');
    expect(zlib.message.text).toBe(
      'zlib1g 1:1.2.13.dfsg-1 is affected by CVE-2023-45853 (CRITICAL); no fixed version is available. Found in registry.example.com/shop/checkout:1.4.2 at var/lib/dpkg/status, layer 0.',
    );
    const libc = results.find((r: Json) => r.ruleId === 'CVE-2023-6246');
    expect(libc.message.text).toContain('libc6 2.36-9+deb12u3 is affected by CVE-2023-6246 (IMPORTANT); fixed in 2.36-9+deb12u4.');
    expect(libc.properties).toMatchObject({ packageName: 'libc6', installedVersion: '2.36-9+deb12u3', fixedVersion: '2.36-9+deb12u4', layerIndex: 0 });
  });

  it('locates each result at the evidence file inside the image, line 1', () => {
    const results = runOf(renderSarif(reportInput())).results;
    for (const result of results) {
      expect(result.locations).toHaveLength(1);
      expect(result.locations[0].physicalLocation.region).toEqual({ startLine: 1 });
    }
    const uriOf = (id: string) => results.find((r: Json) => r.ruleId === id).locations[0].physicalLocation.artifactLocation.uri;
    expect(uriOf('CVE-2023-45853')).toBe('var/lib/dpkg/status');
    expect(uriOf('GHSA-67hx-6x53-jw92')).toBe('usr/src/app/node_modules/@babel/traverse/package.json');
    // A jar inside a war: the `:` would read as a URI scheme.
    expect(uriOf('CVE-2022-42889')).toBe('usr/src/app/shop.war%3AWEB-INF/lib/commons-text-1.9.jar');
    expect(results.find((r: Json) => r.ruleId === 'CVE-2022-42889').locations[0].logicalLocations[0]).toEqual({
      name: 'org.apache.commons:commons-text',
      kind: 'module',
      fullyQualifiedName: 'pkg:maven/org.apache.commons/commons-text@1.9',
    });
  });

  it('escapes image paths into relative URI references', () => {
    expect(imagePathUri('/usr/lib/python3/dist-packages/My Package#1?.dist-info/METADATA')).toBe(
      'usr/lib/python3/dist-packages/My%20Package%231%3F.dist-info/METADATA',
    );
    expect(imagePathUri('app/100%.jar')).toBe('app/100%25.jar');
  });

  it('names the image in the run', () => {
    const run = runOf(renderSarif(reportInput({ notes: ['OS_CVES_UNAVAILABLE'] })));
    expect(run.automationDetails.id).toBe('lamina/registry.example.com/shop/checkout/');
    expect(run.properties.image).toMatchObject({ fullName: IMAGE.fullName, digest: IMAGE.digest, tag: '1.4.2' });
    expect(run.properties.operatingSystem).toBe('debian:12');
    expect(run.properties.notes).toEqual(['OS_CVES_UNAVAILABLE']);
    expect(run.invocations[0].toolExecutionNotifications).toEqual([
      {
        descriptor: { id: 'OS_CVES_UNAVAILABLE' },
        level: 'warning',
        message: { text: 'OS_CVES_UNAVAILABLE: no advisories for debian:12 are loaded, so OS packages were not checked; run `lamina db update`' },
      },
    ]);
  });

  it('gives each warning of the scan as a tool notification after the notes', () => {
    const warnings = Array.from({ length: 22 }, (_, i) => `java: opt/app/lib-${i}.jar: not a readable zip archive`);
    const run = runOf(renderSarif(reportInput({ notes: ['PARTIAL_SCAN_DATA'], warnings })));
    const notifications = run.invocations[0].toolExecutionNotifications;
    expect(notifications[0].descriptor).toEqual({ id: 'PARTIAL_SCAN_DATA' });
    expect(notifications.slice(1)).toEqual([
      ...warnings.slice(0, 20).map((text) => ({ level: 'warning', message: { text } })),
      { level: 'warning', message: { text: '… and 2 more' } },
    ]);
    expect(run.invocations[0].executionSuccessful).toBe(true);
  });

  it('fingerprints results by id, package, version and location, so re-runs and new tags dedupe', () => {
    const prints = (log: Json) => runOf(log).results.map((r: Json) => `${r.ruleId} ${r.partialFingerprints[FINGERPRINT_KEY]}`);
    const first = prints(renderSarif(reportInput()));
    expect(prints(renderSarif(reportInput()))).toEqual(first);
    const retagged = reportInput({
      image: { ...IMAGE, tag: '1.4.3', fullName: 'registry.example.com/shop/checkout:1.4.3', digest: `sha256:${'0'.repeat(64)}` },
    });
    expect(prints(renderSarif(retagged))).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
    for (const line of first) expect(line).toMatch(/ [0-9a-f]{64}$/);

    const pkg = PACKAGES[7];
    const base = fingerprintOf('CVE-2024-29041', pkg);
    expect(fingerprintOf('CVE-2024-29041', { ...pkg })).toBe(base);
    expect(fingerprintOf('CVE-2024-29042', pkg)).not.toBe(base);
    expect(fingerprintOf('CVE-2024-29041', { ...pkg, version: '4.18.3' })).not.toBe(base);
    expect(fingerprintOf('CVE-2024-29041', { ...pkg, location: 'usr/lib/node_modules/express/package.json' })).not.toBe(base);
  });

  it('orders results by severity, then package', () => {
    const levels = runOf(renderSarif(reportInput())).results.map((r: Json) => r.properties.severity);
    const order = ['CRITICAL', 'IMPORTANT', 'MODERATE', 'LOW', 'UNKNOWN'];
    const ranks = levels.map((s: string) => order.indexOf(s));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('has empty rules and results for an image without findings', () => {
    const run = runOf(renderSarif(reportInput({ findings: [] })));
    expect(run.tool.driver.rules).toEqual([]);
    expect(run.results).toEqual([]);
  });
});
