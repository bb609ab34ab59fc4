import { Template } from 'aws-cdk-lib/assertions';
import { laminaTestApp } from './test-app';

describe('stateful stack', () => {
  const template = Template.fromStack(laminaTestApp().stateful);

  it('keeps six on-demand, point-in-time-recoverable, encrypted tables keyed on string pk/sk, retained on delete', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 6);
    const tables = template.findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    }
    expect(
      Object.keys(tables)
        .map((id) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['Advisories', 'Images', 'InFlight', 'LayerIndex', 'SignatureIntegrations', 'Snoozes']);
  });

  it('lets DynamoDB expire layer-cache entries, in-flight scans and snoozes through expiresAt, and nothing else', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    const ttl = Object.fromEntries(
      Object.entries(tables).map(([id, table]) => [id.replace(/[0-9A-F]{8}$/, ''), table.Properties.TimeToLiveSpecification ?? null]),
    );
    expect(ttl).toEqual({
      Images: null,
      LayerIndex: { AttributeName: 'expiresAt', Enabled: true },
      Advisories: null,
      Snoozes: { AttributeName: 'expiresAt', Enabled: true },
      InFlight: { AttributeName: 'expiresAt', Enabled: true },
      SignatureIntegrations: null,
    });
  });

  it('holds no bucket: nothing in lib/ or functions/ reads or writes S3', () => {
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::S3::BucketPolicy', 0);
  });

  it('exports only the names and ARNs of the six tables to the stateless stack', () => {
    const outputs = Object.values(template.toJSON().Outputs ?? {}) as { Value: Record<string, unknown>; Export?: unknown }[];
    const referenced = outputs.map((output) => JSON.stringify(output.Value));
    expect(referenced.length).toBeGreaterThan(0);
    for (const value of referenced) expect(value).toMatch(/"(Images|LayerIndex|Advisories|Snoozes|InFlight|SignatureIntegrations)[0-9A-F]{8}"/);
    expect(referenced.join()).not.toMatch(/Config|ResultSpill|AccessLogs/);
  });
});
