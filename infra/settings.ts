/**
 * Deployment settings, read from CDK context (`cdk.json` "context", or `-c key=value` on the command line).
 *
 *   allowedRegistries     string[]   registry hosts the API may scan; empty = any public host
 *   ecrRepositories       string[]   ECR repository names or ARNs to watch for pushes and to pull from
 *                                    (["*"], the default: every repository of the deploying account; [] = none)
 *   platform              string     os/arch[/variant] picked from multi-platform images (linux/amd64)
 *   scanMemoryMb          number     memory of the API and worker functions (3008)
 *   scanEphemeralStorageMb number    /tmp of the API and worker functions (4096)
 *   scanTimeoutSeconds    number     API function timeout (60; API Gateway itself answers after 29 s)
 *   workerTimeoutSeconds  number     ECR push / deferred scan worker timeout (300)
 *   workerBatchSize       number     queue messages per worker invocation, 1-5 (1)
 *   reservedConcurrency   number     reserved concurrency of the API function (unset = unreserved)
 *   clusters              {id, name, endpoint}[]  delegated scanners requests may be forwarded to
 *   signatureIntegrations StackRox SignatureIntegration[] (public keys)  cosign signatures verified per integration
 *   apiAuthorization      "IAM" | "NONE"          API method authorization (IAM)
 *   apiThrottleRateLimit  number     stage steady-state requests per second (50)
 *   apiThrottleBurstLimit number     stage burst (100)
 *   updateSchedule        string     EventBridge schedule of the advisory updater ("rate(1 hour)")
 *   logRetentionDays      number     retention of function and access logs (30)
 *   advisorySources       string[]   advisory sources the updater runs: osv:<ecosystem>, alas:2023, redhat-csaf, …
 *                                    (unset = the updater's default: every distribution's feed and OSV's language ecosystems)
 *   osvEcosystems         string[]   older form: OSV ecosystems only (not together with advisorySources)
 *   osvBaseUrl            string     https base URL of the OSV export (unset = OSV's public bucket)
 *
 * On the command line, lists and objects are given as JSON: -c 'ecrRepositories=["app","tools/base"]'.
 */
import { z } from 'zod';
import { parseSignatureIntegrations } from '../lib/signatures/integrations';
import { sourcesNamed } from '../lib/vulndb/sources';

export interface ClusterSetting {
  id: string;
  name: string;
  endpoint: string;
}

export type ApiAuthorizationSetting = 'IAM' | 'NONE';

export interface LaminaSettings {
  allowedRegistries: string[];
  ecrRepositories: string[];
  platform: string;
  scanMemoryMb: number;
  scanEphemeralStorageMb: number;
  scanTimeoutSeconds: number;
  workerTimeoutSeconds: number;
  workerBatchSize: number;
  reservedConcurrency?: number;
  clusters: ClusterSetting[];
  /** StackRox signature integrations (public keys), checked at synth as the functions read them. */
  signatureIntegrations: unknown[];
  apiAuthorization: ApiAuthorizationSetting;
  apiThrottleRateLimit: number;
  apiThrottleBurstLimit: number;
  updateSchedule: string;
  logRetentionDays: number;
  advisorySources?: string[];
  osvEcosystems?: string[];
  osvBaseUrl?: string;
}

/** Retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Clusters and signature integrations travel in the functions' environment, which Lambda caps at 4 KB in total. */
export const MAX_FORWARDED_CONFIG_BYTES = 2500;

/** Context keys that used to exist: a leftover value is refused rather than silently ignored. */
const REMOVED_KEYS: Record<string, string> = {
  signaturePublicKeys: 'is no longer a setting: configure signatureIntegrations (StackRox signature integrations with public keys) instead',
};

const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/;
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const REPOSITORY_ARN = /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/(.+)$/;
const SCHEDULE = /^(rate\(\s*\d+\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\(\s*\S+(\s+\S+){5}\s*\))$/;
const IDENTIFIER = /^[A-Za-z0-9._-]{1,64}$/;

/** An OSV ecosystem name as OSV spells it ("Debian", "Rocky Linux", "Debian:12"); commas would split the variable. */
const OSV_ECOSYSTEM = /^[A-Za-z0-9][A-Za-z0-9 .:_+-]{0,63}$/;

/** The updater appends `/<ecosystem>/all.zip` and the like, so the base is a bare https URL. */
function baseUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an https:// URL';
  }
  if (url.protocol !== 'https:') return 'must be an https:// URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.search || url.hash) return 'must not have a query or fragment';
  return undefined;
}

const integer = (min: number, max: number) =>
  z.coerce.number().int(`must be a whole number`).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const repository = z.string().refine((value) => value === '*' || REPOSITORY_NAME.test(value) || REPOSITORY_ARN.test(value), {
  message: 'must be an ECR repository name (lower case, e.g. team/app), an ECR repository ARN, or "*"',
});

const schema = z.object({
  allowedRegistries: z.array(z.string().toLowerCase().regex(HOST, 'must be a registry host such as ghcr.io or registry:5000')).default([]),
  // Push scans cover the whole account unless the operator narrows them.
  ecrRepositories: z
    .array(repository)
    .default(['*'])
    .refine((list) => !list.includes('*') || list.length === 1, { message: '"*" stands alone: it already means every repository of the account' }),
  platform: z
    .string()
    .regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, 'must be os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8')
    .default('linux/amd64'),
  scanMemoryMb: integer(128, 10240).default(3008),
  scanEphemeralStorageMb: integer(512, 10240).default(4096),
  scanTimeoutSeconds: integer(1, 900).default(60),
  workerTimeoutSeconds: integer(1, 900).default(300),
  workerBatchSize: integer(1, 5).default(1),
  reservedConcurrency: integer(1, 10000).optional(),
  clusters: z
    .array(
      z.strictObject({
        id: z.string().regex(IDENTIFIER, 'must be 1-64 letters, digits, ".", "_" or "-"'),
        name: z.string().min(1, 'must not be empty'),
        endpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
      }),
    )
    .default([])
    .refine((list) => new Set(list.map((c) => c.id)).size === list.length, { message: 'cluster ids must be unique' }),
  signatureIntegrations: z.array(z.unknown()).default([]),
  apiAuthorization: z.enum(['IAM', 'NONE'], { error: 'must be "IAM" or "NONE"' }).default('IAM'),
  apiThrottleRateLimit: integer(1, 10000).default(50),
  apiThrottleBurstLimit: integer(1, 5000).default(100),
  updateSchedule: z
    .string()
    .trim()
    .regex(SCHEDULE, 'must be an EventBridge schedule expression such as "rate(1 hour)" or "cron(0 * * * ? *)"')
    .default('rate(1 hour)'),
  logRetentionDays: z.coerce
    .number()
    .refine((days) => LOG_RETENTION_DAYS.includes(days), { message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
    .default(30),
  advisorySources: z
    .array(z.string().trim().regex(OSV_ECOSYSTEM, 'must be a source name such as osv:Debian, alas:2023 or redhat-csaf (no commas)'))
    .min(1, 'must name at least one source; leave it unset for the default')
    .max(100, 'must name at most 100 sources')
    .refine((list) => new Set(list).size === list.length, { message: 'sources must be unique' })
    .superRefine((list, ctx) => {
      try {
        // The updater's own parser: a name it would refuse at run time stops the synth instead.
        sourcesNamed(list);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .optional(),
  osvEcosystems: z
    .array(z.string().trim().regex(OSV_ECOSYSTEM, 'must be an OSV ecosystem name such as Debian, "Rocky Linux" or PyPI (no commas)'))
    .min(1, 'must name at least one ecosystem; leave it unset for the default')
    .max(100, 'must name at most 100 ecosystems')
    .refine((list) => new Set(list).size === list.length, { message: 'ecosystems must be unique' })
    .optional(),
  osvBaseUrl: z
    .string()
    .trim()
    .max(512, 'must be at most 512 characters')
    .superRefine((value, ctx) => {
      const problem = baseUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

export const SETTING_KEYS = Object.keys(schema.shape) as (keyof LaminaSettings)[];

/** `-c key=value` gives strings: a value that looks like JSON is parsed, a bare word becomes a one-item list where a list is wanted. */
function fromCommandLine(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (/^[[{"]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`CDK context "${key}" is not valid JSON: ${(error as Error).message}`);
    }
  }
  const listKeys = ['allowedRegistries', 'ecrRepositories', 'osvEcosystems', 'advisorySources'];
  if (listKeys.includes(key)) return text === '' ? [] : text.split(',').map((item) => item.trim());
  return text;
}

/** Validates the context values and fills in defaults; every problem is reported at once, by key. */
export function parseSettings(read: (key: string) => unknown): LaminaSettings {
  const removed = Object.keys(REMOVED_KEYS).filter((key) => read(key) !== undefined && read(key) !== null);
  if (removed.length > 0) throw new Error(`Invalid lamina CDK context:\n${removed.map((key) => `  ${key}: ${REMOVED_KEYS[key]}`).join('\n')}`);
  const raw: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = read(key);
    if (value !== undefined && value !== null) raw[key] = fromCommandLine(key, value);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(settings)'}: ${issue.message}`);
    throw new Error(`Invalid lamina CDK context:\n${problems.join('\n')}`);
  }
  const settings: LaminaSettings = result.data;
  if (settings.advisorySources && settings.osvEcosystems) {
    throw new Error('Invalid lamina CDK context:\n  osvEcosystems: give the sources in advisorySources alone (osv:<ecosystem> for OSV ones)');
  }
  if (settings.apiThrottleBurstLimit < settings.apiThrottleRateLimit) {
    throw new Error(`Invalid lamina CDK context:\n  apiThrottleBurstLimit: must be at least apiThrottleRateLimit (${settings.apiThrottleRateLimit})`);
  }
  if (settings.signatureIntegrations.length > 0) {
    try {
      // The functions' own reading: keys that would stop them at start stop the synth instead.
      parseSignatureIntegrations(JSON.stringify(settings.signatureIntegrations), 'signatureIntegrations');
    } catch (err) {
      throw new Error(`Invalid lamina CDK context:\n  ${(err as Error).message}`);
    }
  }
  const forwarded =
    JSON.stringify(settings.clusters).length + (settings.signatureIntegrations.length > 0 ? JSON.stringify(settings.signatureIntegrations).length : 0);
  if (forwarded > MAX_FORWARDED_CONFIG_BYTES) {
    const what = settings.signatureIntegrations.length > 0 ? 'clusters and signatureIntegrations: the lists take' : 'clusters: the list takes';
    throw new Error(
      `Invalid lamina CDK context:\n  ${what} ${forwarded} bytes as JSON, more than the ${MAX_FORWARDED_CONFIG_BYTES} that fit in the functions' 4 KB environment; ` +
        'configure fewer clusters or keys, or shorter names',
    );
  }
  return settings;
}

/** The repository name of a configured name or ARN, as ECR events carry it in detail.repository-name. */
export function repositoryName(nameOrArn: string): string {
  return REPOSITORY_ARN.exec(nameOrArn)?.[1] ?? nameOrArn;
}

export function isRepositoryArn(value: string): boolean {
  return REPOSITORY_ARN.test(value);
}
