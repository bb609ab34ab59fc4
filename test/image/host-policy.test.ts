import { DefaultHostPolicy, isBlockedAddress } from '../../lib/image/registry/host-policy';
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
});
