import { clusterInvokeArns, scanInvokeArn } from '../../infra/cluster-access';

describe('execute-api:Invoke resources of delegated clusters', () => {
  it('names the API, region and ScanImage route of API Gateway endpoints, in the right partition', () => {
    expect(scanInvokeArn('https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod')).toBe(
      'arn:aws:execute-api:eu-west-1:*:a1b2c3d4e5/*/POST/v1/images/scan',
    );
    expect(scanInvokeArn('https://A1B2C3D4E5.Execute-Api.eu-west-1.amazonaws.com/')).toBe('arn:aws:execute-api:eu-west-1:*:a1b2c3d4e5/*/POST/v1/images/scan');
    expect(scanInvokeArn('https://a1b2c3d4e5.execute-api.cn-northwest-1.amazonaws.com.cn/prod')).toBe(
      'arn:aws-cn:execute-api:cn-northwest-1:*:a1b2c3d4e5/*/POST/v1/images/scan',
    );
    expect(scanInvokeArn('https://a1b2c3d4e5.execute-api.us-gov-west-1.amazonaws.com/prod')).toBe(
      'arn:aws-us-gov:execute-api:us-gov-west-1:*:a1b2c3d4e5/*/POST/v1/images/scan',
    );
    // A private API reached through its VPC endpoint hostname, which the forwarder signs as well.
    expect(scanInvokeArn('https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.eu-west-1.vpce.amazonaws.com/prod')).toBe(
      'arn:aws:execute-api:eu-west-1:*:a1b2c3d4e5/*/POST/v1/images/scan',
    );
  });

  it('grants nothing for other hosts', () => {
    for (const endpoint of [
      'https://scanner.example.com',
      'https://scanner.example.com/a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
      'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com.example.com/prod',
      'https://execute-api.eu-west-1.amazonaws.com/prod',
      'not a url',
    ]) {
      expect([endpoint, scanInvokeArn(endpoint)]).toEqual([endpoint, undefined]);
    }
  });

  it('lists each API once, in the order the clusters are configured', () => {
    expect(
      clusterInvokeArns([
        { id: 'b', name: 'b', endpoint: 'https://bbbbbbbbbb.execute-api.us-east-1.amazonaws.com/prod' },
        { id: 'x', name: 'x', endpoint: 'https://scanner.example.com' },
        { id: 'a', name: 'a', endpoint: 'https://aaaaaaaaaa.execute-api.us-east-1.amazonaws.com/prod' },
        { id: 'b2', name: 'b2', endpoint: 'https://bbbbbbbbbb.execute-api.us-east-1.amazonaws.com/test' },
      ]),
    ).toEqual(['arn:aws:execute-api:us-east-1:*:bbbbbbbbbb/*/POST/v1/images/scan', 'arn:aws:execute-api:us-east-1:*:aaaaaaaaaa/*/POST/v1/images/scan']);
    expect(clusterInvokeArns([])).toEqual([]);
  });
});
