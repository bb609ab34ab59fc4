import { encodeComponent, encodeImageName, encodeStorageImage, encodeVulnerability, toJson } from '../../lib/stackrox/encode';
import { float32, formatTimestamp } from '../../lib/stackrox/protojson';
import type { StorageEmbeddedVulnerability, StorageImage } from '../../lib/stackrox/types';
import { testVulnerability } from '../support/vulnerabilities';

const DIGEST = 'sha256:4f53e8a8a1d1bd7a1d08f35d4fbba0e5d0e0b5fa6ba4b6a1b1d2e6c5b2c4b1a0';

function vulnerability(overrides: Partial<StorageEmbeddedVulnerability> = {}): StorageEmbeddedVulnerability {
  return testVulnerability('CVE-2023-4911', {
    cvss: 7.8,
    summary: 'Buffer overflow in ld.so GLIBC_TUNABLES',
    link: 'https://security-tracker.debian.org/tracker/CVE-2023-4911',
    publishedOn: '2023-10-03T18:15:10.143Z',
    severity: 'IMPORTANT_VULNERABILITY_SEVERITY',
    ...overrides,
  });
}

/** A small image as lamina stores it: no vulnerabilities, no signature, one component. */
function smallImage(): StorageImage {
  return {
    id: DIGEST,
    name: { registry: 'docker.io', remote: 'library/debian', tag: 'bookworm', fullName: 'docker.io/library/debian:bookworm' },
    names: [{ registry: 'docker.io', remote: 'library/debian', tag: 'bookworm', fullName: 'docker.io/library/debian:bookworm' }],
    metadata: {
      v1: {
        digest: 'sha256:c1',
        created: '2024-06-13T00:00:00Z',
        author: '',
        layers: [{ instruction: 'RUN', value: 'x', created: '2024-06-13T00:00:00Z', author: '', empty: false }],
        user: 'root',
        command: ['bash'],
        entrypoint: [],
        volumes: [],
        labels: {},
      },
      v2: { digest: DIGEST },
      layerShas: ['sha256:l1'],
      dataSource: null,
      version: '0',
    },
    scan: {
      scannerVersion: '0.1.0',
      scanTime: '2024-07-01T10:00:00.5Z',
      components: [
        {
          name: 'base-files',
          version: '12.4+deb12u6',
          license: null,
          vulns: [],
          layerIndex: 0,
          priority: '0',
          source: 'OS',
          location: '',
          riskScore: 0,
          fixedBy: '',
          executables: [],
        },
      ],
      operatingSystem: 'debian:12',
      dataSource: { id: 'lamina', name: 'lamina' },
      notes: [],
      hash: '18446744073709551615',
    },
    signatureVerificationData: null,
    signature: null,
    components: 1,
    cves: 0,
    fixableCves: 0,
    lastUpdated: '2024-07-01T10:00:00.5Z',
    notPullable: false,
    isClusterLocal: false,
    priority: '0',
    riskScore: 0,
    notes: ['MISSING_SIGNATURE'],
  };
}

describe('StorageImage JSON as the StackRox gateway prints it', () => {
  it('prints a small image field for field, in proto order, with defaults and int64 strings', () => {
    expect(toJson(smallImage())).toBe(
      '{"id":"' +
        DIGEST +
        '",' +
        '"name":{"registry":"docker.io","remote":"library/debian","tag":"bookworm","fullName":"docker.io/library/debian:bookworm"},' +
        '"names":[{"registry":"docker.io","remote":"library/debian","tag":"bookworm","fullName":"docker.io/library/debian:bookworm"}],' +
        '"metadata":{"v1":{"digest":"sha256:c1","created":"2024-06-13T00:00:00Z","author":"",' +
        '"layers":[{"instruction":"RUN","value":"x","created":"2024-06-13T00:00:00Z","author":"","empty":false}],' +
        '"user":"root","command":["bash"],"entrypoint":[],"volumes":[],"labels":{}},' +
        '"v2":{"digest":"' +
        DIGEST +
        '"},"layerShas":["sha256:l1"],"dataSource":null,"version":"0"},' +
        '"scan":{"scannerVersion":"0.1.0","scanTime":"2024-07-01T10:00:00.500Z",' +
        '"components":[{"name":"base-files","version":"12.4+deb12u6","license":null,"vulns":[],"layerIndex":0,"priority":"0",' +
        '"source":"OS","location":"","riskScore":0,"fixedBy":"","executables":[]}],' +
        '"operatingSystem":"debian:12","dataSource":{"id":"lamina","name":"lamina","mirror":""},"notes":[],"hash":"18446744073709551615"},' +
        '"signatureVerificationData":null,"signature":null,"components":1,"cves":0,"fixableCves":0,' +
        '"lastUpdated":"2024-07-01T10:00:00.500Z","notPullable":false,"isClusterLocal":false,"priority":"0","riskScore":0,' +
        '"notes":["MISSING_SIGNATURE"]}',
    );
  });

  it('leaves unset one-of fields out: image counts and topCvss, component layerIndex and topCvss, fixedBy, scan.hash', () => {
    const image = smallImage();
    delete image.components;
    delete image.cves;
    delete image.fixableCves;
    delete image.scan!.hash;
    delete image.scan!.components[0].layerIndex;
    const json = encodeStorageImage(image) as Record<string, any>;
    for (const key of ['components', 'cves', 'fixableCves', 'topCvss']) expect(json).not.toHaveProperty(key);
    expect(json.scan).not.toHaveProperty('hash');
    expect(json.scan.components[0]).not.toHaveProperty('layerIndex');
    expect(json.scan.components[0]).not.toHaveProperty('topCvss');
    expect(encodeVulnerability(vulnerability())).not.toHaveProperty('fixedBy');
  });

  it('keeps set one-ofs even at their zero value, where protojson prints them', () => {
    const json = encodeStorageImage({ ...smallImage(), topCvss: 0 }) as Record<string, any>;
    expect(json.topCvss).toBe(0);
    expect(encodeVulnerability(vulnerability({ fixedBy: '' })).fixedBy).toBe('');
    expect(encodeComponent({ ...smallImage().scan!.components[0], layerIndex: 0, topCvss: 0 })).toMatchObject({ layerIndex: 0, topCvss: 0 });
  });

  it('prints a vulnerability with every field of the reference, in proto order, fixedBy after link', () => {
    const json = encodeVulnerability(
      vulnerability({
        fixedBy: '2.36-9+deb12u3',
        cvssV3: {
          vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
          exploitabilityScore: 1.8,
          impactScore: 5.9,
          attackVector: 'ATTACK_LOCAL',
          attackComplexity: 'COMPLEXITY_LOW',
          privilegesRequired: 'PRIVILEGE_LOW',
          userInteraction: 'UI_NONE',
          scope: 'UNCHANGED',
          confidentiality: 'IMPACT_HIGH',
          integrity: 'IMPACT_HIGH',
          availability: 'IMPACT_HIGH',
          score: 7.8,
          severity: 'HIGH',
        },
      }),
    );
    expect(Object.keys(json)).toEqual([
      'cve',
      'cvss',
      'summary',
      'link',
      'fixedBy',
      'scoreVersion',
      'cvssV2',
      'cvssV3',
      'publishedOn',
      'lastModified',
      'vulnerabilityType',
      'vulnerabilityTypes',
      'suppressed',
      'suppressActivation',
      'suppressExpiry',
      'firstSystemOccurrence',
      'firstImageOccurrence',
      'severity',
      'state',
    ]);
    expect(json.cvssV2).toBeNull();
    expect(json.cvssV3).toMatchObject({ exploitabilityScore: 1.8, impactScore: 5.9, score: 7.8 });
    expect(json.publishedOn).toBe('2023-10-03T18:15:10.143Z');
  });

  it('prints float32 values at float32 precision, so stored single-precision scores read as written', () => {
    expect(float32(Math.fround(5.9))).toBe(5.9);
    expect(float32(Math.fround(9.8))).toBe(9.8);
    expect(float32(7.5)).toBe(7.5);
    expect(float32(Math.fround(1.59025))).toBe(1.59025);
    expect(JSON.stringify(encodeVulnerability(vulnerability({ cvss: Math.fround(5.9) })))).toContain('"cvss":5.9,');
    expect(float32(NaN)).toBe('NaN');
    expect(float32(Infinity)).toBe('Infinity');
  });

  it('prints timestamps in UTC with 0, 3, 6 or 9 fractional digits, as protojson does', () => {
    expect(formatTimestamp('2024-01-02T03:04:05Z')).toBe('2024-01-02T03:04:05Z');
    expect(formatTimestamp('2024-01-02T03:04:05.000Z')).toBe('2024-01-02T03:04:05Z');
    expect(formatTimestamp('2024-01-02T03:04:05.1Z')).toBe('2024-01-02T03:04:05.100Z');
    expect(formatTimestamp('2024-01-02T03:04:05.1234Z')).toBe('2024-01-02T03:04:05.123400Z');
    expect(formatTimestamp('2024-01-02T03:04:05.123456789Z')).toBe('2024-01-02T03:04:05.123456789Z');
    expect(formatTimestamp('2024-01-02T05:04:05.5+02:00')).toBe('2024-01-02T03:04:05.500Z');
    expect(formatTimestamp('2024-01-01T23:30:00-01:00')).toBe('2024-01-02T00:30:00Z');
    expect(formatTimestamp(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 67)))).toBe('2024-01-02T03:04:05.067Z');
    expect(formatTimestamp('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00Z');
    expect(formatTimestamp('2024-02-30T00:00:00Z')).toBeUndefined();
    expect(formatTimestamp('yesterday')).toBeUndefined();
    expect(encodeStorageImage({ ...smallImage(), lastUpdated: 'not a time' }).lastUpdated).toBeNull();
  });

  it('indents with two spaces when asked for pretty output', () => {
    const pretty = toJson(smallImage(), { pretty: true });
    expect(pretty.split('\n')[1]).toBe(`  "id": "${DIGEST}",`);
    expect(JSON.parse(pretty)).toEqual(JSON.parse(toJson(smallImage())));
  });

  it('round-trips: the printed JSON read back as a StorageImage prints the same', () => {
    const image = smallImage();
    image.scan!.components[0].vulns = [vulnerability({ fixedBy: '2.36-9+deb12u3', cvss: Math.fround(7.8) })];
    image.scan!.components[0].topCvss = Math.fround(7.8);
    image.topCvss = Math.fround(7.8);
    image.signature = {
      signatures: [{ cosign: { rawSignature: 'c2ln', signaturePayload: 'e30=', certPem: '', certChainPem: '' } }, {}],
      fetched: '2024-07-01T10:00:00Z',
    };
    image.signatureVerificationData = {
      results: [
        {
          verificationTime: '2024-07-01T10:00:01Z',
          verifierId: 'io.stackrox.signatureintegration.1',
          status: 'VERIFIED',
          description: '',
          verifiedImageReferences: ['docker.io/library/debian:bookworm'],
        },
      ],
    };
    const text = toJson(image);
    expect(toJson(JSON.parse(text) as StorageImage)).toBe(text);
    expect(JSON.parse(text).signature.signatures).toEqual([
      {
        cosign: {
          rawSignature: 'c2ln',
          signaturePayload: 'e30=',
          certPem: '',
          certChainPem: '',
          rekorBundle: '',
          signatureFormat: 'SIGNATURE_FORMAT_UNSPECIFIED',
          sigstoreBundle: '',
        },
      },
      {},
    ]);
  });

  it('prints defaults for fields an older stored result lacks, never undefined', () => {
    const json = encodeStorageImage({ id: DIGEST, scan: { components: [{ name: 'x', vulns: [{ cve: 'CVE-1' }] }] } } as unknown as StorageImage) as Record<
      string,
      any
    >;
    expect(json).toMatchObject({ name: null, names: [], metadata: null, lastUpdated: null, priority: '0', riskScore: 0, notes: [] });
    expect(json.scan.components[0]).toMatchObject({
      version: '',
      priority: '0',
      source: 'OS',
      vulns: [{ cve: 'CVE-1', cvss: 0, severity: 'UNKNOWN_VULNERABILITY_SEVERITY', state: 'OBSERVED', vulnerabilityTypes: [] }],
    });
    expect(JSON.stringify(json)).not.toContain('undefined');
  });

  it('prints labels sorted by key, as protojson prints maps', () => {
    const image = smallImage();
    image.metadata!.v1!.labels = { 'org.opencontainers.image.version': '1.0', maintainer: 'me', 'com.example.a': 'x' };
    expect(Object.keys((encodeStorageImage(image) as Record<string, any>).metadata.v1.labels)).toEqual([
      'com.example.a',
      'maintainer',
      'org.opencontainers.image.version',
    ]);
  });

  it('prints an image name alone', () => {
    expect(encodeImageName({ registry: 'quay.io', remote: 'org/app', tag: '', fullName: 'quay.io/org/app@sha256:ab' })).toEqual({
      registry: 'quay.io',
      remote: 'org/app',
      tag: '',
      fullName: 'quay.io/org/app@sha256:ab',
    });
  });
});
