import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  HttpScanForwarder,
  parseClusters,
  StaticClusterDirectory,
  type ClusterDelegation,
  type OutgoingRequest,
  type RequestSigner,
} from '../service/clusters';

type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/**
 * API Gateway hosts: `<api>.execute-api.<region>.amazonaws.com` (also `.com.cn`) and private APIs reached through a
 * VPC endpoint, `<api>-<vpce>.execute-api.<region>.vpce.amazonaws.com`. Custom domain names cannot be told apart.
 */
const EXECUTE_API_HOST = /^[a-z0-9-]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/;

/** The region of an API Gateway endpoint host, or undefined when the host is not one. */
export function executeApiRegion(hostname: string): string | undefined {
  return EXECUTE_API_HOST.exec(hostname.toLowerCase())?.[1];
}

/** Signs requests to API Gateway with SigV4 (service `execute-api`), as its IAM authorization requires. */
export class ExecuteApiSigner implements RequestSigner {
  private readonly signer: SignatureV4;

  constructor(
    region: string,
    credentials: Credentials,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 });
  }

  async sign(request: OutgoingRequest): Promise<Record<string, string>> {
    const { url } = request;
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = value;
    const signed = await this.signer.sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query,
        // `host` is signed; fetch sends the same value from the URL.
        headers: { ...request.headers, host: url.host },
        body: request.body,
      },
      { signingDate: this.now() },
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) if (name.toLowerCase() !== 'host') headers[name] = value;
    return headers;
  }
}

/**
 * The signer choice for cluster endpoints: SigV4 for API Gateway hosts, with the default credential chain (the
 * Lambda role in AWS) unless credentials are given; nothing for other hosts. Signers are kept per region.
 */
export function executeApiSigners(credentials?: Credentials): (endpoint: URL) => RequestSigner | undefined {
  let resolved: Credentials | undefined = credentials;
  const signers = new Map<string, ExecuteApiSigner>();
  return (endpoint) => {
    const region = executeApiRegion(endpoint.hostname);
    if (!region) return undefined;
    resolved ??= defaultProvider();
    let signer = signers.get(region);
    if (!signer) {
      signer = new ExecuteApiSigner(region, resolved);
      signers.set(region, signer);
    }
    return signer;
  };
}

/**
 * The clusters of a deployment as the CDK app passes them (LAMINA_CLUSTERS, `[{"id", "name", "endpoint"}]`),
 * forwarded over HTTPS and signed with the function's role when the endpoint is an API Gateway. Undefined when
 * none are configured, so every named cluster is unknown (404). Malformed configuration throws at start.
 */
export function awsClusterDelegation(env: NodeJS.ProcessEnv = process.env, credentials?: Credentials): ClusterDelegation | undefined {
  const clusters = parseClusters(env.LAMINA_CLUSTERS);
  if (clusters.length === 0) return undefined;
  return { directory: new StaticClusterDirectory(clusters), forwarder: new HttpScanForwarder({ signerFor: executeApiSigners(credentials) }) };
}
