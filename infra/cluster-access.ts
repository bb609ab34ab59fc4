import type { ClusterSetting } from './settings';

/**
 * API Gateway hosts a cluster endpoint may have: the public (and private-DNS) form
 * `<apiId>.execute-api.<region>.amazonaws.com[.cn]` and the VPC-endpoint form of a private API,
 * `<apiId>-<vpceId>.execute-api.<region>.vpce.amazonaws.com`. Both are signed with SigV4 by the forwarder
 * (lib/aws/execute-api-signer.ts); any other host (a custom domain, a plain HTTPS scanner) is not.
 */
const PUBLIC_HOST = /^([a-z0-9]+)\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/;
const VPCE_HOST = /^([a-z0-9]+)-vpce-[a-z0-9]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.vpce\.amazonaws\.com(\.cn)?$/;

/** The AWS partition of a region (China and GovCloud have their own). */
function partitionOf(region: string, chinaDomain: boolean): string {
  if (chinaDomain || region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The ARN that allows forwarding a ScanImage request to an API Gateway endpoint, or undefined for other hosts. */
export function scanInvokeArn(endpoint: string): string | undefined {
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  const match = PUBLIC_HOST.exec(host) ?? VPCE_HOST.exec(host);
  if (!match) return undefined;
  const [, apiId, region, china] = match;
  // Any account and stage: the API id is unique within its region, and the stage is part of the configured URL.
  return `arn:${partitionOf(region, china !== undefined)}:execute-api:${region}:*:${apiId}/*/POST/v1/images/scan`;
}

/** `execute-api:Invoke` resources for the configured clusters, one per distinct API Gateway API, in order. */
export function clusterInvokeArns(clusters: readonly ClusterSetting[]): string[] {
  const arns = clusters.map((cluster) => scanInvokeArn(cluster.endpoint)).filter((arn): arn is string => arn !== undefined);
  return [...new Set(arns)];
}
