import { z } from 'zod';

/** Thrown when the runner's environment is incomplete or invalid; the message lists every problem. */
export class RunnerConfigError extends Error {
  override readonly name = 'RunnerConfigError';
}

const TASKS = ['text2image', 'variation', 'fuse', 'img2img', 'inpaint'] as const;
const BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;

const url = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .url({ error: `${name} must be an http(s) URL` })
    .refine((v) => /^https?:\/\//.test(v), `${name} must be an http(s) URL`)
    .transform((v) => v.replace(/\/+$/, ''));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every environment variable the runner reads, validated at start. Deployment manifests (Kubernetes, Dockerfile)
 * must only reference names listed in {@link RUNNER_ENV_VARS}; docs/runner.md documents each.
 */
export const runnerEnvSchema = z.object({
  /** Base URL of the edge gateway (the runner calls `<EDGE_URL>/v1/runner/...`). */
  EDGE_URL: url('EDGE_URL'),
  /** This runner's id in the signed headers; defaults to the host name. */
  RUNNER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'RUNNER_ID must be 1-64 characters of [A-Za-z0-9._-]')
    .optional(),
  /** Shared HMAC secret with the edge (its RUNNER_SECRET). */
  RUNNER_SECRET: z
    .string({ error: 'RUNNER_SECRET is required' })
    .min(16, 'RUNNER_SECRET must be at least 16 characters'),
  /** Converted model: a local folder, or `s3://bucket/prefix` downloaded into KANDINSKY_MODEL_CACHE first. */
  KANDINSKY_WEIGHTS: z
    .string({ error: 'KANDINSKY_WEIGHTS is required (a converted model folder or s3://bucket/prefix)' })
    .min(1),
  /** Where an `s3://` model is downloaded to (reused when the checksums match). */
  KANDINSKY_MODEL_CACHE: z.string().min(1).default('.cache/kandinsky-model'),
  /** Force a TF.js backend; by default the fastest available one is chosen. */
  KANDINSKY_BACKEND: z.enum(BACKENDS).optional(),
  /** wasm backend threads: `auto` (one per core; the default while VERIFY_ON_START is on) or a count from 1 to 8. */
  KANDINSKY_WASM_THREADS: z
    .string()
    .regex(/^(auto|[1-8])$/, 'KANDINSKY_WASM_THREADS must be auto or an integer from 1 to 8')
    .optional(),
  /** Fixture root of the start-up check (default: the fixtures shipped with the runner, gpu-runner/fixtures). */
  KANDINSKY_FIXTURES: z.string().min(1).optional(),
  /** S3-compatible storage for input images and results. */
  S3_ENDPOINT: url('S3_ENDPOINT'),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string({ error: 'S3_BUCKET is required' }).min(1),
  S3_ACCESS_KEY_ID: z.string({ error: 'S3_ACCESS_KEY_ID is required' }).min(1),
  S3_SECRET_ACCESS_KEY: z.string({ error: 'S3_SECRET_ACCESS_KEY is required' }).min(1),
  /** Upload attempts per result object before the job fails (retryable) with `storage_error`. */
  S3_UPLOAD_ATTEMPTS: int(1, 20).default(5),
  /** First retry delay; doubles each attempt (with jitter), capped at 8x. */
  S3_RETRY_BASE_MS: int(1, 60_000).default(250),
  /** Port of `/healthz`, `/readyz` and `/metrics`. */
  PORT: int(0, 65_535).default(9100),
  /** Interface the health server binds to. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Tasks this runner accepts (comma separated); all five by default. */
  RUNNER_TASKS: z
    .string()
    .default(TASKS.join(','))
    .transform((v, ctx) => {
      const list = v
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const bad = list.filter((t) => !(TASKS as readonly string[]).includes(t));
      if (bad.length || list.length === 0) {
        ctx.addIssue({ code: 'custom', message: `RUNNER_TASKS must list some of ${TASKS.join(', ')}; got "${v}"` });
        return z.NEVER;
      }
      return list as (typeof TASKS)[number][];
    }),
  /**
   * Most jobs of equal shape taken together as one batch (1 disables batching). A text2image batch runs as one pass;
   * default 1 because the gain measured on the wasm backend was small and noisy (docs/runner.md), while extra leases
   * held here could be taken by an idle runner.
   */
  RUNNER_MAX_BATCH: int(1, 16).default(1),
  /** Long-poll time of one lease request. */
  LEASE_WAIT_MS: int(0, 25_000).default(20_000),
  /** How often a held lease is extended (must be well under the edge's LEASE_TTL_SECONDS). */
  HEARTBEAT_INTERVAL_MS: int(100, 60_000).default(5_000),
  /** Progress reports are sent at most this often (the heartbeat carries them). */
  PROGRESS_INTERVAL_MS: int(100, 60_000).default(1_000),
  /** On SIGTERM, a running job gets this long to finish before it is released back to the queue. */
  SHUTDOWN_GRACE_MS: int(0, 3_600_000).default(25_000),
  /** Run one small generation after loading so the first job does not pay for kernel compilation. */
  WARMUP: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /**
   * Run the tiny reference parity check (`kandinsky verify`'s tiny suite) on the backend before reporting ready, and
   * refuse to start when it fails. On wasm it also keeps one thread per core only if the threaded backend passes.
   */
  VERIFY_ON_START: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /** `info` prints lifecycle events; `debug` adds every lease and heartbeat. */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** The validated runner configuration. */
export type RunnerConfig = z.infer<typeof runnerEnvSchema> & { RUNNER_ID: string };

/** Names of every variable the runner understands (for manifests and docs checks). */
export const RUNNER_ENV_VARS = Object.keys(runnerEnvSchema.shape) as (keyof typeof runnerEnvSchema.shape)[];

/**
 * Reads the configuration from `env` (usually `process.env`), or throws {@link RunnerConfigError} listing every
 * missing or invalid variable at once, so a misconfigured pod says everything that is wrong in its first log line.
 * @example const config = loadRunnerConfig(process.env, os.hostname());
 */
export function loadRunnerConfig(env: Record<string, string | undefined>, hostname = 'runner'): RunnerConfig {
  const picked: Record<string, string> = {};
  for (const name of RUNNER_ENV_VARS) {
    const value = env[name];
    // Empty strings mean "unset": Kubernetes and shells often export blank variables.
    if (value !== undefined && value !== '') picked[name] = value;
  }
  const parsed = runnerEnvSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      const message = issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
      return `  - ${message}`;
    });
    throw new RunnerConfigError(`invalid runner configuration:\n${lines.join('\n')}`);
  }
  const runnerId = parsed.data.RUNNER_ID ?? hostname.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  return { ...parsed.data, RUNNER_ID: runnerId };
}
