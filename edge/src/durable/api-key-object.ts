import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { type BucketState, takeToken } from './token-bucket';

/** Limits attached to one API key. */
export interface KeyLimits {
  /** Sustained requests per minute (token refill rate); also the bucket capacity (burst). */
  requests_per_minute: number;
  /** Jobs that may be queued or running at once for this key. */
  max_running_jobs: number;
}

/** The stored record of an API key (the plaintext key itself is never stored). */
export interface KeyRecord {
  id: string;
  tenant: string;
  name: string | null;
  limits: KeyLimits;
  webhook_secret: string;
  created_at: number;
  revoked_at: number | null;
}

/** Rate-limit figures for response headers. */
export interface RateInfo {
  limit: number;
  remaining: number;
  resetSeconds: number;
  retryAfterSeconds: number;
}

/** Result of {@link ApiKeyObject.authorize}. */
export type AuthorizeResult =
  | { kind: 'ok'; record: KeyRecord; rate: RateInfo }
  | { kind: 'unknown' }
  | { kind: 'revoked' }
  | { kind: 'rate_limited'; rate: RateInfo };

/** Result of {@link ApiKeyObject.admitJob}. */
export type AdmitResult =
  | { kind: 'admitted' }
  | { kind: 'replay'; jobId: string }
  | { kind: 'idempotency_mismatch'; jobId: string }
  | { kind: 'at_capacity'; running: number; max: number };

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** Longest time a token-bucket change stays unsaved. */
export const BUCKET_PERSIST_INTERVAL_MS = 1_000;

/**
 * One object per API key, addressed by `idFromName(sha256(key))`: holds the key record, the key's token bucket,
 * the set of its in-flight jobs (for the running-jobs cap) and its idempotency keys. Serial execution makes the
 * bucket and the cap exact under any concurrency.
 */
export class ApiKeyObject extends DurableObject<Env> {
  private bucket: BucketState | undefined;
  private record: KeyRecord | null | undefined;
  private persistTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS active_jobs (job_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS idempotency (
        idem_key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, job_id TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS idempotency_age ON idempotency(created_at);
      CREATE INDEX IF NOT EXISTS idempotency_job ON idempotency(job_id);
    `);
  }

  private load(): KeyRecord | null {
    if (this.record === undefined) {
      this.record = (this.ctx.storage.kv.get<KeyRecord>('record') as KeyRecord | undefined) ?? null;
      this.bucket = this.ctx.storage.kv.get<BucketState>('bucket') as BucketState | undefined;
    }
    return this.record;
  }

  /** Stores the key record; refuses to overwrite an existing key. */
  async create(record: KeyRecord): Promise<boolean> {
    if (this.load()) return false;
    this.ctx.storage.kv.put('record', record);
    this.record = record;
    return true;
  }

  /** The key record, or null for an unknown key. */
  async describe(): Promise<KeyRecord | null> {
    return this.load();
  }

  /** Marks the key revoked; later requests with it get 401. */
  async revoke(now: number): Promise<KeyRecord | null> {
    const record = this.load();
    if (!record) return null;
    if (record.revoked_at === null) {
      record.revoked_at = now;
      this.ctx.storage.kv.put('record', record);
    }
    return record;
  }

  /** Checks the key and takes one token from its bucket. */
  async authorize(now: number): Promise<AuthorizeResult> {
    const record = this.load();
    if (!record) return { kind: 'unknown' };
    if (record.revoked_at !== null) return { kind: 'revoked' };
    const capacity = record.limits.requests_per_minute;
    const decision = takeToken(this.bucket, now, { capacity, periodMs: 60_000 });
    this.bucket = decision.state;
    this.persistBucketSoon();
    const rate: RateInfo = {
      limit: capacity,
      remaining: decision.remaining,
      resetSeconds: decision.resetSeconds,
      retryAfterSeconds: decision.retryAfterSeconds,
    };
    return decision.allowed ? { kind: 'ok', record, rate } : { kind: 'rate_limited', rate };
  }

  /**
   * Saves the bucket at most once per {@link BUCKET_PERSIST_INTERVAL_MS}. The bucket lives in memory, where this
   * object's serial execution makes it exact; a synchronous write per request would cost a storage commit on the hot
   * path. If the object is evicted before a save, the bucket forgets at most that interval's consumption.
   */
  private persistBucketSoon(): void {
    if (this.persistTimer !== null) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      if (this.bucket) this.ctx.storage.kv.put('bucket', this.bucket);
    }, BUCKET_PERSIST_INTERVAL_MS);
  }

  /**
   * Admits a new job under the running-jobs cap and records its idempotency key. A repeated key with the same
   * request returns the original job id; with a different request it is refused.
   */
  async admitJob(input: {
    jobId: string;
    idempotencyKey: string | null;
    requestHash: string;
    now: number;
  }): Promise<AdmitResult> {
    const record = this.load();
    if (!record) throw new Error('admitJob on an unknown key');
    const sql = this.ctx.storage.sql;
    if (input.idempotencyKey !== null) {
      sql.exec('DELETE FROM idempotency WHERE created_at < ?', input.now - IDEMPOTENCY_TTL_MS);
      const existing = sql
        .exec<{ request_hash: string; job_id: string }>(
          'SELECT request_hash, job_id FROM idempotency WHERE idem_key = ?',
          input.idempotencyKey,
        )
        .toArray()[0];
      if (existing) {
        return existing.request_hash === input.requestHash
          ? { kind: 'replay', jobId: existing.job_id }
          : { kind: 'idempotency_mismatch', jobId: existing.job_id };
      }
    }
    const running = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM active_jobs').one().n;
    if (running >= record.limits.max_running_jobs) {
      return { kind: 'at_capacity', running, max: record.limits.max_running_jobs };
    }
    sql.exec('INSERT INTO active_jobs (job_id, created_at) VALUES (?, ?)', input.jobId, input.now);
    if (input.idempotencyKey !== null) {
      sql.exec(
        'INSERT INTO idempotency (idem_key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?)',
        input.idempotencyKey,
        input.requestHash,
        input.jobId,
        input.now,
      );
    }
    return { kind: 'admitted' };
  }

  /** Undoes {@link admitJob} for a job that could not be enqueued (so a retry with the same key can succeed). */
  async abortJob(jobId: string): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM active_jobs WHERE job_id = ?', jobId);
    this.ctx.storage.sql.exec('DELETE FROM idempotency WHERE job_id = ?', jobId);
  }

  /** Frees the running-jobs slot of a finished job. Idempotent. */
  async releaseJob(jobId: string): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM active_jobs WHERE job_id = ?', jobId);
  }

  /** Number of jobs currently counted against the cap. */
  async runningJobs(): Promise<number> {
    return this.ctx.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM active_jobs').one().n;
  }
}
