import { generateKeyPairSync } from 'node:crypto';
import { Template } from 'aws-cdk-lib/assertions';
import { parseSettings, repositoryName } from '../../infra/settings';
import { laminaTestApp } from './test-app';

const fromContext = (context: Record<string, unknown>) => (key: string) => context[key];

describe('deployment settings from CDK context', () => {
  it('fills in the documented defaults when nothing is set', () => {
    expect(parseSettings(fromContext({}))).toEqual({
      allowedRegistries: [],
      // Push scans cover the whole account unless narrowed.
      ecrRepositories: ['*'],
      platform: 'linux/amd64',
      scanMemoryMb: 3008,
      scanEphemeralStorageMb: 4096,
      scanTimeoutSeconds: 60,
      workerTimeoutSeconds: 300,
      workerBatchSize: 1,
      clusters: [],
      signatureIntegrations: [],
      apiAuthorization: 'IAM',
      apiThrottleRateLimit: 50,
      apiThrottleBurstLimit: 100,
      updateSchedule: 'rate(1 hour)',
      logRetentionDays: 30,
    });
  });

  it('reads the strings `cdk -c key=value` passes: JSON lists and objects, comma lists, numbers', () => {
    const settings = parseSettings(
      fromContext({
        allowedRegistries: 'ghcr.io, 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        ecrRepositories: '["team/app","arn:aws:ecr:eu-west-1:123456789012:repository/base"]',
        scanMemoryMb: '4096',
        reservedConcurrency: '5',
        clusters: '[{"id":"vpc-a","name":"private","endpoint":"https://scanner.internal.example.com"}]',
        apiAuthorization: 'NONE',
        updateSchedule: 'cron(0 */6 * * ? *)',
      }),
    );
    expect(settings.allowedRegistries).toEqual(['ghcr.io', '123456789012.dkr.ecr.eu-west-1.amazonaws.com']);
    expect(settings.ecrRepositories).toEqual(['team/app', 'arn:aws:ecr:eu-west-1:123456789012:repository/base']);
    expect(settings.scanMemoryMb).toBe(4096);
    expect(settings.reservedConcurrency).toBe(5);
    expect(settings.clusters).toEqual([{ id: 'vpc-a', name: 'private', endpoint: 'https://scanner.internal.example.com' }]);
    expect(settings.apiAuthorization).toBe('NONE');
    expect(settings.updateSchedule).toBe('cron(0 */6 * * ? *)');
  });

  it('reports every invalid value at once, by key', () => {
    const attempt = () =>
      parseSettings(
        fromContext({
          scanMemoryMb: 64,
          scanTimeoutSeconds: 'soon',
          ecrRepositories: ['Team/App'],
          apiAuthorization: 'COGNITO',
          updateSchedule: 'every hour',
          workerBatchSize: 10,
          clusters: [{ id: 'a', name: 'a', endpoint: 'http://plain.example.com' }],
          logRetentionDays: 31,
        }),
      );
    expect(attempt).toThrow(/Invalid lamina CDK context/);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const key of [
      'scanMemoryMb',
      'scanTimeoutSeconds',
      'ecrRepositories.0',
      'apiAuthorization',
      'updateSchedule',
      'workerBatchSize',
      'clusters.0.endpoint',
      'logRetentionDays',
    ]) {
      expect(message).toContain(`  ${key}: `);
    }
  });

  it('refuses a context value that looks like JSON but is not', () => {
    expect(() => parseSettings(fromContext({ clusters: '[{"id": "a",' }))).toThrow(/context "clusters" is not valid JSON/);
  });

  it('narrows the watched repositories to the listed ones, or to none with an empty list', () => {
    expect(parseSettings(fromContext({ ecrRepositories: 'team/app,tools/base' })).ecrRepositories).toEqual(['team/app', 'tools/base']);
    expect(parseSettings(fromContext({ ecrRepositories: ['*'] })).ecrRepositories).toEqual(['*']);
    expect(parseSettings(fromContext({ ecrRepositories: [] })).ecrRepositories).toEqual([]);
    // `-c ecrRepositories=` on the command line
    expect(parseSettings(fromContext({ ecrRepositories: '' })).ecrRepositories).toEqual([]);
  });

  it('checks signatureIntegrations at synth as the functions read them, JSON from -c included', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const integration = {
      id: 'io.stackrox.signatureintegration.4b1d5f0e-0000-4000-8000-000000000001',
      name: 'release',
      cosign: { publicKeys: [{ name: 'release', publicKeyPemEnc: pem }] },
    };
    expect(parseSettings(fromContext({ signatureIntegrations: JSON.stringify([integration]) })).signatureIntegrations).toEqual([integration]);
    const broken = { ...integration, cosign: { publicKeys: [{ name: 'release', publicKeyPemEnc: 'not a key' }] } };
    expect(() => parseSettings(fromContext({ signatureIntegrations: [broken] }))).toThrow(/Invalid lamina CDK context:\n {2}signatureIntegrations/);
  });

  it('refuses the removed signaturePublicKeys setting instead of ignoring it', () => {
    expect(() => parseSettings(fromContext({ signaturePublicKeys: [] }))).toThrow(/signaturePublicKeys: is no longer a setting/);
    expect(() => parseSettings(fromContext({ signaturePublicKeys: '[{"id":"k","name":"k","pem":"x"}]' }))).toThrow(
      /signaturePublicKeys: is no longer a setting/,
    );
    expect(Object.keys(parseSettings(fromContext({})))).not.toContain('signaturePublicKeys');
  });

  it('refuses duplicate cluster ids and a burst below the rate', () => {
    const cluster = { id: 'a', name: 'one', endpoint: 'https://a.example.com' };
    expect(() => parseSettings(fromContext({ clusters: [cluster, { ...cluster, name: 'two' }] }))).toThrow(/cluster ids must be unique/);
    expect(() => parseSettings(fromContext({ apiThrottleRateLimit: 100, apiThrottleBurstLimit: 10 }))).toThrow(
      /apiThrottleBurstLimit: must be at least apiThrottleRateLimit/,
    );
  });

  it('refuses "*" mixed with named repositories', () => {
    expect(() => parseSettings(fromContext({ ecrRepositories: ['*', 'team/app'] }))).toThrow(/"\*" stands alone/);
  });

  it('refuses clusters too large for the functions environment', () => {
    const clusters = Array.from({ length: 12 }, (_, i) => ({
      id: `c${i}`,
      name: `cluster ${i} ${'x'.repeat(200)}`,
      endpoint: `https://scanner-${i}.example.com/prod`,
    }));
    expect(() => parseSettings(fromContext({ clusters }))).toThrow(/clusters: the list takes \d+ bytes as JSON, .*4 KB environment/);
    expect(() => parseSettings(fromContext({ clusters: clusters.slice(0, 2) }))).not.toThrow();
  });

  it('reads the OSV ecosystems as a list (JSON or comma-separated) and the OSV base URL', () => {
    expect(parseSettings(fromContext({ osvEcosystems: 'Debian, Rocky Linux,PyPI', osvBaseUrl: 'https://osv.example.com/exports/' }))).toMatchObject({
      osvEcosystems: ['Debian', 'Rocky Linux', 'PyPI'],
      osvBaseUrl: 'https://osv.example.com/exports/',
    });
    expect(parseSettings(fromContext({ osvEcosystems: '["Ubuntu:22.04:LTS","Alpine"]' })).osvEcosystems).toEqual(['Ubuntu:22.04:LTS', 'Alpine']);
    const defaults = parseSettings(fromContext({}));
    expect(defaults.osvEcosystems).toBeUndefined();
    expect(defaults.osvBaseUrl).toBeUndefined();
  });

  it('reads the advisory sources as a list, checked with the updater own parser, and not beside osvEcosystems', () => {
    expect(parseSettings(fromContext({ advisorySources: 'osv:Debian, alas:2-extras,alas:2023' })).advisorySources).toEqual([
      'osv:Debian',
      'alas:2-extras',
      'alas:2023',
    ]);
    expect(() => parseSettings(fromContext({ advisorySources: 'osv:Debian,nosuch:1' }))).toThrow(/advisorySources: unknown advisory source "nosuch:1"/);
    expect(() => parseSettings(fromContext({ advisorySources: '' }))).toThrow(/advisorySources: must name at least one source/);
    expect(() => parseSettings(fromContext({ advisorySources: 'osv:Debian', osvEcosystems: 'Debian' }))).toThrow(/give the sources in advisorySources alone/);
  });

  it('refuses an empty or malformed ecosystem list and a base URL that is not bare https', () => {
    expect(() => parseSettings(fromContext({ osvEcosystems: '' }))).toThrow(/osvEcosystems: must name at least one ecosystem/);
    expect(() => parseSettings(fromContext({ osvEcosystems: ['Debian', ''] }))).toThrow(/osvEcosystems\.1: must be an OSV ecosystem name/);
    expect(() => parseSettings(fromContext({ osvEcosystems: ['Debian', 'Debian'] }))).toThrow(/osvEcosystems: ecosystems must be unique/);
    expect(() => parseSettings(fromContext({ osvBaseUrl: 'http://osv.example.com' }))).toThrow(/osvBaseUrl: must be an https:\/\/ URL/);
    expect(() => parseSettings(fromContext({ osvBaseUrl: 'https://osv.example.com/?token=x' }))).toThrow(/osvBaseUrl: must not have a query or fragment/);
    expect(() => parseSettings(fromContext({ osvBaseUrl: 'not a url' }))).toThrow(/osvBaseUrl: must be an https:\/\/ URL/);
  });

  it('takes the repository name out of an ECR repository ARN', () => {
    expect(repositoryName('arn:aws:ecr:eu-west-1:123456789012:repository/team/app')).toBe('team/app');
    expect(repositoryName('team/app')).toBe('team/app');
  });
});

describe('signature integrations in the deployment', () => {
  it('reach the API and worker functions as LAMINA_SIGNATURE_INTEGRATIONS, and only when configured', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const integration = {
      id: 'io.stackrox.signatureintegration.4b1d5f0e-0000-4000-8000-000000000002',
      name: 'release',
      cosign: { publicKeys: [{ name: 'release', publicKeyPemEnc: publicKey.export({ type: 'spki', format: 'pem' }).toString() }] },
    };
    const variablesOf = (template: Template) =>
      Object.values(template.findResources('AWS::Lambda::Function')).map(
        (fn) => (fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables ?? {},
      );
    const signed = variablesOf(Template.fromStack(laminaTestApp({ signatureIntegrations: [integration] }).stateless));
    expect(signed.filter((v) => v.LAMINA_SIGNATURE_INTEGRATIONS === JSON.stringify([integration]))).toHaveLength(2);
    const plain = variablesOf(Template.fromStack(laminaTestApp().stateless));
    expect(plain.some((v) => 'LAMINA_SIGNATURE_INTEGRATIONS' in v)).toBe(false);
  });
});
