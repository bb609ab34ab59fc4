import { Match, Template } from 'aws-cdk-lib/assertions';
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
    expect(Object.keys(tables).map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(
      ['Advisories', 'Config', 'Images', 'InFlight', 'LayerIndex', 'Snoozes'],
    );
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
      Config: null,
      InFlight: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('spills large results to a private, encrypted, versioned, retained bucket that logs access', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogs') }, LogFilePrefix: 'result-spill/' },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' })]),
        },
      }),
    });
  });

  it('refuses plain-HTTP access to both buckets', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });
});
