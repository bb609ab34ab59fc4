import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { EcrCredentialSource, parseEcrHost } from '../../lib/aws/ecr-credentials';

// GetAuthorizationToken is an AWS control-plane call that cannot run here: it is the one thing mocked.
const ecr = mockClient(ECRClient);

function token(user: string, password: string, expiresAt: Date) {
  return { authorizationData: [{ authorizationToken: Buffer.from(`${user}:${password}`).toString('base64'), expiresAt }] };
}

describe('ECR registry credentials', () => {
  beforeEach(() => ecr.reset());

  it('recognises private ECR hosts, including FIPS and China partitions, and nothing else', () => {
    expect(parseEcrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toEqual({ registryId: '123456789012', region: 'eu-west-1' });
    expect(parseEcrHost('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com')).toEqual({ registryId: '123456789012', region: 'us-east-1' });
    expect(parseEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')).toEqual({ registryId: '123456789012', region: 'cn-north-1' });
    expect(parseEcrHost('public.ecr.aws')).toBeUndefined();
    expect(parseEcrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example')).toBeUndefined();
  });

  it('asks for the registry id of the host and caches the token until shortly before it expires', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    ecr.on(GetAuthorizationTokenCommand).resolves(token('AWS', 'secret-1', new Date(now + 12 * 3600_000)));
    const source = new EcrCredentialSource({ now: () => now });
    const host = '210987654321.dkr.ecr.us-west-2.amazonaws.com';

    expect(await source.credentialsFor(host)).toEqual({ username: 'AWS', password: 'secret-1' });
    expect(await source.credentialsFor(host)).toEqual({ username: 'AWS', password: 'secret-1' });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)[0].args[0].input).toEqual({ registryIds: ['210987654321'] });

    now += 12 * 3600_000 - 60_000;
    ecr.on(GetAuthorizationTokenCommand).resolves(token('AWS', 'secret-2', new Date(now + 12 * 3600_000)));
    expect(await source.credentialsFor(host)).toEqual({ username: 'AWS', password: 'secret-2' });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2);
  });

  it('never hands ECR credentials to another host', async () => {
    ecr.on(GetAuthorizationTokenCommand).resolves(token('AWS', 'secret', new Date(Date.now() + 3600_000)));
    const fallback = { credentialsFor: jest.fn(async () => undefined) };
    const source = new EcrCredentialSource({ fallback });
    expect(await source.credentialsFor('ghcr.io')).toBeUndefined();
    expect(fallback.credentialsFor).toHaveBeenCalledWith('ghcr.io');
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
  });

  it('surfaces a refused token request and tries again next time', async () => {
    ecr
      .on(GetAuthorizationTokenCommand)
      .rejectsOnce(new Error('AccessDeniedException'))
      .resolves(token('AWS', 'ok', new Date(Date.now() + 3600_000)));
    const source = new EcrCredentialSource();
    const host = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    await expect(source.credentialsFor(host)).rejects.toThrow('AccessDeniedException');
    expect(await source.credentialsFor(host)).toEqual({ username: 'AWS', password: 'ok' });
  });
});
