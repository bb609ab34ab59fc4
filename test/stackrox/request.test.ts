import { GrpcCode, RuntimeError, httpStatusOf } from '../../lib/stackrox/errors';
import { parseJsonBody, parseScanImageRequest } from '../../lib/stackrox/request';

function failure(run: () => unknown): RuntimeError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(RuntimeError);
    return err as RuntimeError;
  }
  throw new Error('expected a RuntimeError');
}

const parse = (text: string) => parseScanImageRequest(parseJsonBody(text));

describe('ScanImage request body', () => {
  it('reads camelCase keys and fills defaults for the rest', () => {
    expect(parse('{"imageName":"nginx:1.25","includeSnoozed":true}')).toEqual({ imageName: 'nginx:1.25', force: false, includeSnoozed: true, cluster: '' });
    expect(parse('{"imageName":"nginx","force":true,"cluster":"prod-vpc"}')).toEqual({
      imageName: 'nginx',
      force: true,
      includeSnoozed: false,
      cluster: 'prod-vpc',
    });
  });

  it('reads snake_case keys as protojson does', () => {
    expect(parse('{"image_name":"quay.io/org/app@sha256:ab","include_snoozed":true}')).toEqual({
      imageName: 'quay.io/org/app@sha256:ab',
      force: false,
      includeSnoozed: true,
      cluster: '',
    });
  });

  it('ignores unknown keys, and reads null as the default', () => {
    expect(parse('{"imageName":"nginx","unknownField":{"a":[1]},"cluster":null,"force":null}')).toEqual({
      imageName: 'nginx',
      force: false,
      includeSnoozed: false,
      cluster: '',
    });
  });

  it('refuses wrong types with InvalidArgument naming the field', () => {
    const number = failure(() => parse('{"imageName":42}'));
    expect(number.code).toBe(GrpcCode.InvalidArgument);
    expect(httpStatusOf(number)).toBe(400);
    expect(number.message).toBe('proto: invalid value for string field imageName: 42');
    expect(failure(() => parse('{"imageName":"nginx","force":"yes"}')).message).toBe('proto: invalid value for bool field force: "yes"');
    expect(failure(() => parse('{"image_name":"nginx","include_snoozed":1}')).message).toContain('include_snoozed');
    expect(failure(() => parse('{"imageName":["nginx"]}')).code).toBe(GrpcCode.InvalidArgument);
  });

  it('refuses a field given under both its names', () => {
    expect(failure(() => parse('{"imageName":"a","image_name":"b"}')).message).toBe('proto: duplicate field "image_name"');
  });

  it('refuses malformed JSON with a syntax error and its position', () => {
    const error = failure(() => parse('{"imageName": "nginx",\n  }'));
    expect(error.code).toBe(GrpcCode.InvalidArgument);
    expect(error.message).toMatch(/^proto: syntax error/);
    expect(failure(() => parse('{"imageName": "nginx"')).message).toMatch(/^proto: syntax error/);
  });

  it('refuses a body that is not a JSON object', () => {
    expect(failure(() => parse('["nginx"]')).message).toBe('proto: syntax error (line 1:1): unexpected token [');
    expect(failure(() => parse('\n  "nginx"')).message).toBe('proto: syntax error (line 2:3): unexpected token "nginx"');
    expect(failure(() => parse('null')).code).toBe(GrpcCode.InvalidArgument);
    expect(failure(() => parseScanImageRequest([])).code).toBe(GrpcCode.InvalidArgument);
    expect(failure(() => parseScanImageRequest('nginx')).code).toBe(GrpcCode.InvalidArgument);
  });

  it('answers an empty or missing image name as StackRox does', () => {
    for (const body of ['', '  ', '{}', '{"imageName":""}', '{"image_name":null}']) {
      const error = failure(() => parse(body));
      expect(error.code).toBe(GrpcCode.InvalidArgument);
      expect(error.message).toBe('image name must be specified: invalid arguments');
    }
  });

  it('reads a Buffer body', () => {
    expect(parseJsonBody(Buffer.from('{"imageName":"alpine"}'))).toEqual({ imageName: 'alpine' });
  });
});
