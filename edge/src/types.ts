import type { Env } from './env';

/** What the API-key middleware learned about the caller. */
export interface AuthenticatedKey {
  /** Public key id (`key_…`). */
  id: string;
  /** Owner of the jobs created with this key. */
  tenant: string;
  /** `idFromName(sha256(key))` of the key's Durable Object, as a string, so shards can reach it later. */
  objectId: string;
  maxRunningJobs: number;
  webhookSecret: string;
}

/** Per-request variables set by middleware. */
export interface Variables {
  requestId: string;
  rawBody: Uint8Array;
  apiKey: AuthenticatedKey;
  runnerId: string;
}

/** Hono environment of the gateway app. */
export interface AppEnv {
  Bindings: Env;
  Variables: Variables;
}
