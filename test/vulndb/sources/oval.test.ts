import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { bunzip2 } from '../../../lib/vulndb/document-stream';
import { evrWithoutZeroEpoch, isOvalDocument, type OvalDefinition, ovalTimestamp, readOvalDefinitions } from '../../../lib/vulndb/sources/oval';

/*
 * The OVAL reader on real vendor documents (test/vulndb/sources/data/azure and oracle, see PROVENANCE.md): Microsoft's
 * prefixed linux-def elements, Oracle's default-namespace rpminfo elements and ind-def textfilecontent54 ones.
 */

const DATA = join(__dirname, 'data');
const fixture = (path: string) => readFileSync(join(DATA, path));

interface Read {
  definitions: OvalDefinition[];
  notes: string[];
  generator?: Record<string, unknown>;
}

async function read(input: Readable, spoolDir?: string): Promise<Read> {
  const definitions: OvalDefinition[] = [];
  const notes: string[] = [];
  let generator: Record<string, unknown> | undefined;
  const options = {
    malformed: (reason: string) => notes.push(reason),
    onGenerator: (g: object) => {
      generator = { ...g };
      return true;
    },
    spoolDir,
  };
  for await (const definition of readOvalDefinitions(input, options)) definitions.push(definition);
  return { definitions, notes, generator };
}

const readText = (text: string | Buffer) => read(Readable.from([Buffer.from(text)]));

function byId(definitions: OvalDefinition[], id: string): OvalDefinition {
  const found = definitions.find((d) => d.id === id);
  if (!found) throw new Error(`no definition ${id}`);
  return found;
}

describe('readOvalDefinitions on Microsoft OVAL', () => {
  it('reads the generator, the metadata and each definition, in document order', async () => {
    const { definitions, notes, generator } = await readText(fixture('azure/azurelinux-3.0-oval.xml'));
    expect(notes).toEqual([]);
    expect(generator).toEqual({
      productName: 'Azure Linux OVAL Definition Generator',
      productVersion: '17',
      schemaVersion: '5.11',
      timestamp: '2025-01-30T13:03:52.80976961Z',
      contentVersion: '1738242232',
    });
    expect(definitions.map((d) => d.id)).toEqual([
      'oval:com.microsoft.azurelinux:def:55038',
      'oval:com.microsoft.azurelinux:def:52881',
      'oval:com.microsoft.azurelinux:def:35082',
      'oval:com.microsoft.azurelinux:def:34597',
    ]);
    const openssh = byId(definitions, 'oval:com.microsoft.azurelinux:def:35082');
    expect(openssh).toMatchObject({
      class: 'vulnerability',
      title: 'CVE-2023-51385 affecting package openssh for versions less than 9.7p1-1',
      family: 'unix',
      platforms: ['Azure Linux'],
      references: [{ source: 'CVE', id: 'CVE-2023-51385', url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-51385' }],
      severity: 'Medium',
      extra: { patchable: 'true', advisory_date: '2024-05-17T21:38:35Z', advisory_id: '35082-1', severity: 'Medium' },
    });
    expect(openssh.description).toMatch(/^CVE-2023-51385 affecting package openssh/);
    expect(openssh.alternatives).toEqual([
      [
        {
          testRef: 'oval:com.microsoft.azurelinux:tst:35082000',
          comment: 'Package openssh is earlier than 9.7p1-1, affected by CVE-2023-51385',
          negate: false,
          kind: 'rpminfo_test',
          packageName: 'openssh',
          state: { evr: { value: '0:9.7p1-1.azl3', operation: 'less than', datatype: 'evr_string' } },
        },
      ],
    ]);
  });

  it('resolves an AND of two tests on one package into one alternative of two conditions', async () => {
    const { definitions } = await readText(fixture('azure/azurelinux-3.0-oval.xml'));
    const golang = byId(definitions, 'oval:com.microsoft.azurelinux:def:52881');
    expect(golang.alternatives).toHaveLength(1);
    expect(golang.alternatives[0].map((c) => [c.packageName, c.state.evr?.operation, c.state.evr?.value])).toEqual([
      ['golang', 'less than', '0:1.20.7-1.azl3'],
      ['golang', 'greater than', '0:0.0.0.azl3'],
    ]);
  });
});

describe('readOvalDefinitions on Oracle OVAL', () => {
  it('reads a bzip2 document as served, with default-namespace and ind-def elements', async () => {
    const { definitions, notes, generator } = await read(bunzip2(Readable.from([fixture('oracle/com.oracle.elsa-excerpt.xml.bz2')])));
    expect(notes).toEqual([]);
    expect(generator).toMatchObject({ productName: 'Oracle Errata System', timestamp: '2022-04-27T06:35:16' });
    const bind = byId(definitions, 'oval:com.oracle.elsa:def:20070057');
    expect(bind).toMatchObject({ class: 'patch', severity: 'MODERATE', issued: '2007-06-26', platforms: ['Oracle Linux 5'] });
    expect(bind.cves.map((c) => c.id)).toEqual(['CVE-2007-0493', 'CVE-2007-0494']);
    expect(bind.cves[0]).toMatchObject({ href: 'https://linux.oracle.com/cve/CVE-2007-0493.html', cvss2: '7.8/AV:N/AC:L/Au:N/C:N/I:N/A:C' });
    // Oracle Linux 5 installed AND (x86_64 AND (8 packages) OR i386 AND (the same 8)): 16 alternatives of 4.
    expect(bind.alternatives).toHaveLength(16);
    const first = bind.alternatives[0];
    expect(first.map((c) => c.comment)).toEqual([
      'Oracle Linux 5 is installed',
      'Oracle Linux arch is x86_64',
      'bind is earlier than 30:9.3.3-8.el5',
      'bind is signed with the Oracle Linux 5 key',
    ]);
    expect(first.map((c) => [c.packageName, Object.keys(c.state)])).toEqual([
      ['oraclelinux-release', ['version']],
      ['oraclelinux-release', ['arch']],
      ['bind', ['evr']],
      ['bind', ['signature_keyid']],
    ]);
    expect(first[3].state.signature_keyid).toEqual({ value: '66ced3de1e5e0159', operation: 'equals' });
    expect(bind.alternatives[8][1].state.arch).toEqual({ value: 'i386', operation: 'pattern match' });
  });

  it('keeps tests other than rpminfo by kind: the module test of an appstream advisory', async () => {
    const { definitions } = await read(bunzip2(Readable.from([fixture('oracle/com.oracle.elsa-excerpt.xml.bz2')])));
    const virt = byId(definitions, 'oval:com.oracle.elsa:def:202312342');
    expect(virt.cpes).toContain('cpe:/a:oracle:linux:8::kvm_appstream');
    const module = virt.alternatives[0].find((c) => c.comment === 'Module virt:kvm_utils is enabled');
    expect(module).toMatchObject({ kind: 'textfilecontent54_test', state: { text: { operation: 'pattern match' } } });
  });

  it('pushes negations down to the conditions (De Morgan)', async () => {
    // Microsoft's and Oracle's documents never negate; the real document with its criteria negated shows the rule.
    const text = fixture('oracle/elsa-2021-9151-ksplice.xml')
      .toString('utf8')
      .replace(
        '<criteria operator="AND">\n<criterion test_ref="oval:com.oracle.elsa:tst:20219151003"',
        '<criteria operator="AND" negate="true">\n<criterion test_ref="oval:com.oracle.elsa:tst:20219151003"',
      );
    const { definitions } = await readText(text);
    const [ksplice] = definitions;
    // NOT(a AND b AND c) is (NOT a) OR (NOT b) OR (NOT c): that group's three conditions become three alternatives.
    const negated = ksplice.alternatives.filter((alternative) => alternative.some((c) => c.negate));
    expect(negated).toHaveLength(3);
    expect(negated.map((a) => a.filter((c) => c.negate).map((c) => c.comment))).toEqual([
      ['openssl is earlier than 2:1.1.1g-15.ksplice1.el8_3'],
      ['openssl is signed with the Oracle Linux 8 key'],
      ['openssl is ksplice-based'],
    ]);
  });
});

describe('readOvalDefinitions on documents it cannot use', () => {
  it('notes a truncated document once and yields nothing', async () => {
    const whole = fixture('azure/cbl-mariner-2.0-oval.xml');
    const { definitions, notes } = await readText(whole.subarray(0, Math.floor(whole.length / 2)));
    expect(definitions).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^not well-formed OVAL: .*unclosed tag/);
  });

  it('notes XML that is not OVAL, and text that is not XML', async () => {
    expect((await readText('<?xml version="1.0"?><updates><update/></updates>')).notes).toEqual([
      'not well-formed OVAL: the root element is <updates>, not <oval_definitions>',
    ]);
    const garbage = await readText('not xml at all');
    expect(garbage.definitions).toEqual([]);
    expect(garbage.notes).toHaveLength(1);
  });

  it('throws when the input stream fails, and leaves no spool behind', async () => {
    const spoolDir = await mkdtemp(join(tmpdir(), 'lamina-oval-test-'));
    try {
      const whole = fixture('azure/azurelinux-3.0-oval.xml');
      async function* failing() {
        yield whole.subarray(0, 4000);
        throw new Error('connection reset');
      }
      await expect(read(Readable.from(failing()), spoolDir)).rejects.toThrow('connection reset');
      expect(await readdir(spoolDir)).toEqual([]);
    } finally {
      await rm(spoolDir, { recursive: true, force: true });
    }
  });

  it('stops before any definition when onGenerator says so', async () => {
    const definitions: OvalDefinition[] = [];
    for await (const d of readOvalDefinitions(Readable.from([fixture('azure/azurelinux-3.0-oval.xml')]), {
      malformed: () => undefined,
      onGenerator: () => false,
    })) {
      definitions.push(d);
    }
    expect(definitions).toEqual([]);
  });
});

describe('OVAL helpers', () => {
  it('tells an OVAL document by its root element', () => {
    expect(isOvalDocument(fixture('azure/azurelinux-3.0-oval.xml').toString('utf8', 0, 2000))).toBe(true);
    expect(isOvalDocument('<?xml version="1.0"?>\n<oval-def:oval_definitions xmlns:oval-def="x">')).toBe(true);
    expect(isOvalDocument('<updates>')).toBe(false);
  });

  it('writes EVRs with the epoch only when it is not 0', () => {
    expect(evrWithoutZeroEpoch('0:2.6.7-3.azl3')).toBe('2.6.7-3.azl3');
    expect(evrWithoutZeroEpoch('30:9.3.3-8.el5')).toBe('30:9.3.3-8.el5');
    expect(evrWithoutZeroEpoch('1.2-3')).toBe('1.2-3');
  });

  it('reads OVAL dates and times as UTC', () => {
    expect(ovalTimestamp('2024-04-23')).toBe('2024-04-23T00:00:00Z');
    expect(ovalTimestamp('2022-04-27T06:35:16')).toBe('2022-04-27T06:35:16Z');
    expect(ovalTimestamp('2025-01-30T13:03:52.80976961Z')).toBe('2025-01-30T13:03:52.80976961Z');
    expect(ovalTimestamp('2024-01-01T02:00:00+02:00')).toBe('2024-01-01T00:00:00Z');
    expect(ovalTimestamp('yesterday')).toBeUndefined();
  });
});
