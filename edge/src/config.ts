import type { Env } from './env';

/** Parsed, validated gateway configuration derived from {@link Env}. */
export interface Config {
  environment: 'development' | 'staging' | 'production';
  allowPrivateWebhooks: boolean;
  corsOrigins: string[];
  queueShards: number;
  /** Maximum queued (not yet leased) jobs over all shards. */
  queueCap: number;
  leaseTtlMs: number;
  maxAttempts: number;
  resultUrlTtlSeconds: number;
  /** How long finished jobs are kept by their queue shard. */
  jobRetentionMs: number;
  s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string } | null;
  adminToken: string | null;
  runnerSecret: string | null;
}

const cache = new WeakMap<Env, Config>();

function intVar(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    // A misconfigured deployment must fail loudly, not run with a surprising limit.
    throw new Error(`config: ${name}=${value} is not an integer in [${min}, ${max}]`);
  }
  return parsed;
}

/**
 * Reads the configuration once per `env` object.
 * @example const { queueShards } = readConfig(c.env);
 */
export function readConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const environment =
    env.ENVIRONMENT === 'production' || env.ENVIRONMENT === 'staging' ? env.ENVIRONMENT : 'development';
  const s3Complete = env.S3_ENDPOINT && env.S3_BUCKET && env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY;
  const config: Config = {
    environment,
    // Private webhook targets are a development convenience only; production ignores the flag.
    allowPrivateWebhooks: env.ALLOW_PRIVATE_WEBHOOKS === 'true' && environment !== 'production',
    corsOrigins: (env.CORS_ORIGINS ?? '*')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    queueShards: intVar(env.QUEUE_SHARDS, 'QUEUE_SHARDS', 8, 1, 1296),
    queueCap: intVar(env.QUEUE_CAP, 'QUEUE_CAP', 10_000, 1, 10_000_000),
    leaseTtlMs: intVar(env.LEASE_TTL_SECONDS, 'LEASE_TTL_SECONDS', 30, 1, 3600) * 1000,
    maxAttempts: intVar(env.MAX_ATTEMPTS, 'MAX_ATTEMPTS', 3, 1, 20),
    jobRetentionMs: intVar(env.JOB_RETENTION_DAYS, 'JOB_RETENTION_DAYS', 30, 1, 3650) * 24 * 3600 * 1000,
    resultUrlTtlSeconds: intVar(env.RESULT_URL_TTL_SECONDS, 'RESULT_URL_TTL_SECONDS', 3600, 1, 7 * 24 * 3600),
    s3: s3Complete
      ? {
          endpoint: env.S3_ENDPOINT!.replace(/\/+$/, ''),
          bucket: env.S3_BUCKET!,
          region: env.S3_REGION || 'us-east-1',
          accessKeyId: env.S3_ACCESS_KEY_ID!,
          secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
        }
      : null,
    adminToken: env.ADMIN_TOKEN || null,
    runnerSecret: env.RUNNER_SECRET || null,
  };
  cache.set(env, config);
  return config;
}
