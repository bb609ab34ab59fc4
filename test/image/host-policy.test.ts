import { DefaultHostPolicy, isBlockedAddress, isPrivateAddress, runningInLambda } from '../../lib/image/registry/host-policy';
import { RuntimeError } from '../../lib/stackrox/errors';

async function refusal(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (err) {
    return err as RuntimeError;
  }
  throw new Error('expected a refusal');
}

describe('host policy', () => {
  test.each([
    ['169.254.169.254', true],
    ['169.254.0.1', true],
    ['[fe80::1]', true],
    ['fe80::abcd', true],
    ['febf::1', true],
    ['fd00:ec2::254', true],
    ['::ffff:169.254.169.254', true],
    ['100.100.100.200', true],
    ['127.0.0.1', false],
    ['10.0.0.1', false],
    ['::1', false],
    ['fd00:ec2::253', false],
    ['registry.example.com', false],
  ])('%s is a link-local or metadata address: %s', (address, blocked) => {
    expect(isBlockedAddress(address as string)).toBe(blocked);
  });

  test('connecting to a metadata address is refused with PermissionDenied naming the host', async () => {
    const err = await refusal(new DefaultHostPolicy().checkConnect('169.254.169.254'));
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.code).toBe(7);
    expect(err.message).toContain('169.254.169.254');
    expect((await refusal(new DefaultHostPolicy().checkConnect('[fd00:ec2::254]'))).code).toBe(7);
    expect((await refusal(new DefaultHostPolicy().checkConnect('metadata.google.internal'))).code).toBe(7);
  });

  test('a name that resolves to a link-local address is refused; the resolver is asked first', async () => {
    const asked: string[] = [];
    const policy = new DefaultHostPolicy({
      resolve: async (name) => {
        asked.push(name);
        return name === 'sneaky.example' ? ['203.0.113.7', '169.254.169.254'] : ['203.0.113.8'];
      },
    });
    const err = await refusal(policy.checkConnect('sneaky.example'));
    expect(err.code).toBe(7);
    expect(err.message).toMatch(/sneaky\.example.*169\.254\.169\.254/);
    await expect(policy.checkConnect('fine.example')).resolves.toBeUndefined();
    expect(asked).toEqual(['sneaky.example', 'fine.example']);
  });

  test('real DNS: localhost resolves to loopback and is allowed', async () => {
    await expect(new DefaultHostPolicy().checkConnect('localhost')).resolves.toBeUndefined();
    await expect(new DefaultHostPolicy().checkConnect('127.0.0.1')).resolves.toBeUndefined();
  });

  test('explicitly allowed private hosts pass', async () => {
    const resolve = async (name: string) => (name === 'via-allowed.test' ? ['169.254.1.1'] : ['169.254.9.9']);
    const policy = new DefaultHostPolicy({ allowedPrivateHosts: ['169.254.1.1', 'linklocal.test'], resolve });
    await expect(policy.checkConnect('169.254.1.1')).resolves.toBeUndefined();
    await expect(policy.checkConnect('linklocal.test')).resolves.toBeUndefined();
    await expect(policy.checkConnect('via-allowed.test')).resolves.toBeUndefined();
    await expect(policy.checkConnect('other.test')).rejects.toMatchObject({ code: 7 });
    await expect(policy.checkConnect('169.254.9.9')).rejects.toMatchObject({ code: 7 });
  });

  test('an allow-list of registries refuses every other registry', () => {
    const policy = new DefaultHostPolicy({ allowedRegistries: ['docker.io', '127.0.0.1:5000'] });
    expect(() => policy.checkRegistry('docker.io')).not.toThrow();
    expect(() => policy.checkRegistry('index.docker.io')).not.toThrow();
    expect(() => policy.checkRegistry('127.0.0.1:5000')).not.toThrow();
    expect(() => policy.checkRegistry('127.0.0.1:5001')).toThrow(/registry 127\.0\.0\.1:5001 is not in the list of allowed registries/);
    expect(() => new DefaultHostPolicy().checkRegistry('anything.example')).not.toThrow();
  });

  describe('inside AWS Lambda', () => {
    const LAMBDA = { AWS_LAMBDA_FUNCTION_NAME: 'LaminaStateless-ApiHandler', AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' };

    test.each([
      ['127.0.0.1', true],
      ['127.0.0.53', true],
      ['0.0.0.0', true],
      ['10.1.2.3', true],
      ['172.16.0.1', true],
      ['172.31.255.255', true],
      ['192.168.1.1', true],
      ['100.64.0.1', true],
      ['::1', true],
      ['[::1]', true],
      ['::', true],
      ['::ffff:127.0.0.1', true],
      ['::ffff:7f00:1', true],
      ['::ffff:10.0.0.1', true],
      ['fd12:3456::1', true],
      ['172.32.0.1', false],
      ['8.8.8.8', false],
      ['2606:4700::1111', false],
      ['169.254.169.254', false],
    ])('%s is a loopback or private address: %s', (address, expected) => {
      expect(isPrivateAddress(address as string)).toBe(expected);
    });

    test('Lambda is recognised by AWS_LAMBDA_RUNTIME_API or AWS_LAMBDA_FUNCTION_NAME', () => {
      expect(runningInLambda({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' })).toBe(true);
      expect(runningInLambda({ AWS_LAMBDA_FUNCTION_NAME: 'f' })).toBe(true);
      expect(runningInLambda({})).toBe(false);
      expect(runningInLambda({ AWS_LAMBDA_FUNCTION_NAME: '' })).toBe(false);
    });

    test('loopback (the Runtime API among it) and private addresses are refused with PermissionDenied naming the way to allow them', async () => {
      const policy = new DefaultHostPolicy({ env: { AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' } });
      for (const host of ['127.0.0.1', '[::1]', '10.0.0.5', '192.168.0.10', '0.0.0.0', '[::ffff:127.0.0.1]']) {
        const err = await refusal(policy.checkConnect(host));
        expect(err).toBeInstanceOf(RuntimeError);
        expect(err.code).toBe(7);
        expect(err.message).toBe(
          `connecting to registry host ${host} is refused: it is a loopback or private address (inside AWS Lambda; name the host in LAMINA_ALLOWED_PRIVATE_HOSTS to allow it): not authorized`,
        );
      }
      // Metadata addresses stay refused as before, and public ones allowed.
      expect((await refusal(policy.checkConnect('169.254.169.254'))).message).toContain('link-local or cloud metadata address');
      await expect(policy.checkConnect('203.0.113.10')).resolves.toBeUndefined();
    });

    test('names are refused by what they resolve to: localhost by real DNS, an internal name by its address', async () => {
      const env = { AWS_LAMBDA_FUNCTION_NAME: 'LaminaStateless-ApiHandler' };
      expect((await refusal(new DefaultHostPolicy({ env }).checkConnect('localhost'))).message).toMatch(
        /^connecting to registry host localhost is refused: it resolves to the loopback or private address (127\.0\.0\.1|::1) /,
      );
      const resolve = async (name: string) => (name === 'registry.internal' ? ['203.0.113.9', '10.20.30.40'] : ['203.0.113.9']);
      const policy = new DefaultHostPolicy({ env, resolve });
      expect((await refusal(policy.checkConnect('registry.internal'))).message).toContain('it resolves to the loopback or private address 10.20.30.40');
      await expect(policy.checkConnect('registry.example')).resolves.toBeUndefined();
    });

    test('LAMINA_ALLOWED_PRIVATE_HOSTS (allowedPrivateHosts) lets named hosts and addresses through', async () => {
      const resolve = async (name: string) => (name === 'mirror.internal' ? ['10.0.0.7'] : ['10.0.0.8']);
      const policy = new DefaultHostPolicy({ env: LAMBDA, allowedPrivateHosts: ['127.0.0.1', 'mirror.internal', '10.0.0.9'], resolve });
      await expect(policy.checkConnect('127.0.0.1')).resolves.toBeUndefined();
      await expect(policy.checkConnect('mirror.internal')).resolves.toBeUndefined();
      await expect(policy.checkConnect('10.0.0.9')).resolves.toBeUndefined();
      await expect(policy.checkConnect('[::1]')).rejects.toMatchObject({ code: 7 });
      await expect(policy.checkConnect('other.internal')).rejects.toMatchObject({ code: 7 });
    });

    test('outside Lambda (the CLI, local mode) loopback and private registries stay usable; the option overrides the environment', async () => {
      for (const host of ['127.0.0.1', '[::1]', '10.0.0.5', '192.168.0.10', 'localhost']) {
        await expect(new DefaultHostPolicy({ env: {} }).checkConnect(host)).resolves.toBeUndefined();
      }
      await expect(new DefaultHostPolicy({ env: {}, refusePrivateNetworks: true }).checkConnect('127.0.0.1')).rejects.toMatchObject({ code: 7 });
      await expect(new DefaultHostPolicy({ env: LAMBDA, refusePrivateNetworks: false }).checkConnect('127.0.0.1')).resolves.toBeUndefined();
    });
  });
});
