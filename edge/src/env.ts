import type { ApiKeyObject } from './durable/api-key-object';
import type { KeyRegistry } from './durable/key-registry';
import type { QueueShard } from './durable/queue-shard';
import type { RunnerReplayGuard } from './durable/runner-replay-guard';

/** Bindings and variables the Worker receives (see /wrangler.toml). All vars arrive as strings. */
export interface Env {
  API_KEYS: DurableObjectNamespace<ApiKeyObject>;
  KEY_REGISTRY: DurableObjectNamespace<KeyRegistry>;
  QUEUE: DurableObjectNamespace<QueueShard>;
  /** Per runner id (`idFromName`): nonces of accepted signed runner requests. */
  RUNNER_REPLAY_GUARD: DurableObjectNamespace<RunnerReplayGuard>;
  ENVIRONMENT?: string;
  ALLOW_PRIVATE_WEBHOOKS?: string;
  CORS_ORIGINS?: string;
  QUEUE_SHARDS?: string;
  QUEUE_CAP?: string;
  LEASE_TTL_SECONDS?: string;
  MAX_ATTEMPTS?: string;
  RESULT_URL_TTL_SECONDS?: string;
  JOB_RETENTION_DAYS?: string;
  S3_ENDPOINT?: string;
  S3_BUCKET?: string;
  S3_REGION?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  ADMIN_TOKEN?: string;
  RUNNER_SECRET?: string;
}
