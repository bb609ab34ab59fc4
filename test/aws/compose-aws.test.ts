import { ecrAliasesForMirrors, resourceNamesFromEnv } from '../../lib/aws/compose-aws';
import { configFromEnv, parseRegistryMirrors } from '../../lib/config';

describe('AWS composition settings', () => {
  it('reads registry mirrors as a JSON object of host to host[:port], lower-cased', () => {
    expect(parseRegistryMirrors(undefined)).toEqual({});
    expect(parseRegistryMirrors(' ')).toEqual({});
    expect(parseRegistryMirrors('{"123456789012.dkr.ecr.us-east-1.amazonaws.com": "Mirror.internal:5000"}')).toEqual({
      '123456789012.dkr.ecr.us-east-1.amazonaws.com': 'mirror.internal:5000',
    });
    expect(() => parseRegistryMirrors('{"a": ')).toThrow(/LAMINA_REGISTRY_MIRRORS is not valid JSON/);
    expect(() => parseRegistryMirrors('["a"]')).toThrow('LAMINA_REGISTRY_MIRRORS must be a JSON object of registry host → mirror host');
    expect(() => parseRegistryMirrors('{"ghcr.io": "http://mirror/x"}')).toThrow('the mirror of "ghcr.io" must be a host[:port]');
    expect(() => parseRegistryMirrors('{"ghcr.io": 5}')).toThrow('the mirror of "ghcr.io" must be a host[:port]');
  });

  it('reads the API budget as positive milliseconds, unset by default', () => {
    expect(configFromEnv({}).apiBudgetMs).toBeUndefined();
    expect(configFromEnv({ LAMINA_API_BUDGET_MS: '1500' }).apiBudgetMs).toBe(1500);
    expect(() => configFromEnv({ LAMINA_API_BUDGET_MS: '-1' })).toThrow('LAMINA_API_BUDGET_MS must be a positive number of milliseconds');
  });

  it('gives a mirror the ECR credentials of the private ECR host it stands in for, and nothing to mirrors of other registries', () => {
    expect(
      ecrAliasesForMirrors({
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com': '10.0.0.5:5000',
        'ghcr.io': 'ghcr-cache.internal',
        'public.ecr.aws': 'public-cache.internal',
      }),
    ).toEqual({ '10.0.0.5:5000': { registryId: '123456789012', region: 'eu-west-1' } });
    expect(ecrAliasesForMirrors(undefined)).toEqual({});
  });

  it('needs the three scan tables the stack passes; the queue is optional', () => {
    const env = { LAMINA_IMAGES_TABLE: 'i', LAMINA_LAYER_INDEX_TABLE: 'l', LAMINA_INFLIGHT_TABLE: 'f' };
    expect(resourceNamesFromEnv(env)).toEqual({ imagesTable: 'i', layerIndexTable: 'l', inFlightTable: 'f', scanQueueUrl: undefined });
    expect(() => resourceNamesFromEnv({ ...env, LAMINA_INFLIGHT_TABLE: '' })).toThrow('environment variable LAMINA_INFLIGHT_TABLE is not set');
  });
});
