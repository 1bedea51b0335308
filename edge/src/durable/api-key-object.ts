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
export type AdmitResult = { kind: 'admitted' } | { kind: 'at_capacity'; running: number; max: number };

/** Longest time a token-bucket change stays unsaved. */
export const BUCKET_PERSIST_INTERVAL_MS = 1_000;
/** Longest time an admission to the in-flight job set stays unsaved (releases are saved at once). */
export const ACTIVE_JOBS_PERSIST_INTERVAL_MS = 200;

/**
 * One object per API key, addressed by `idFromName(sha256(key))`: holds the key record, the key's token bucket and
 * the set of its in-flight jobs (for the running-jobs cap). Serial execution makes the bucket and the cap exact under
 * any concurrency. The bucket and admissions live in memory and are saved in batches off the request path (a storage
 * commit per create would dominate its latency); after a crash of this object the cap may over-admit by the jobs of
 * the last {@link ACTIVE_JOBS_PERSIST_INTERVAL_MS}, never lose a job (jobs are stored by their queue shard). Releases
 * are written before they are acknowledged, so a freed slot stays freed.
 */
export class ApiKeyObject extends DurableObject<Env> {
  private bucket: BucketState | undefined;
  private record: KeyRecord | null | undefined;
  private persistTimer: ReturnType<typeof setTimeout> | null = null;
  private active: Map<string, number> | null = null;
  /** Admissions not saved yet: job id -> created_at. Releases are written at once ({@link releaseJob}). */
  private readonly activeChanges = new Map<string, number>();
  private activeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS active_jobs (job_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL)',
    );
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

  private activeJobs(): Map<string, number> {
    if (!this.active) {
      this.active = new Map();
      for (const row of this.ctx.storage.sql.exec<{ job_id: string; created_at: number }>(
        'SELECT * FROM active_jobs',
      )) {
        this.active.set(row.job_id, row.created_at);
      }
    }
    return this.active;
  }

  /** Records an admission in memory; it is saved with the next batch (see the class comment). */
  private admitActive(jobId: string, createdAt: number): void {
    this.activeJobs().set(jobId, createdAt);
    this.activeChanges.set(jobId, createdAt);
    if (this.activeTimer !== null) return;
    this.activeTimer = setTimeout(() => {
      this.activeTimer = null;
      this.ctx.storage.transactionSync(() => {
        for (const [id, created] of this.activeChanges) {
          this.ctx.storage.sql.exec(
            'INSERT OR REPLACE INTO active_jobs (job_id, created_at) VALUES (?, ?)',
            id,
            created,
          );
        }
      });
      this.activeChanges.clear();
    }, ACTIVE_JOBS_PERSIST_INTERVAL_MS);
  }

  /** Admits a new job under the running-jobs cap (queued + running jobs of this key). */
  async admitJob(input: { jobId: string; now: number }): Promise<AdmitResult> {
    const record = this.load();
    if (!record) throw new Error('admitJob on an unknown key');
    const running = this.activeJobs().size;
    if (running >= record.limits.max_running_jobs) {
      return { kind: 'at_capacity', running, max: record.limits.max_running_jobs };
    }
    this.admitActive(input.jobId, input.now);
    return { kind: 'admitted' };
  }

  /**
   * Frees the running-jobs slot of a job that finished, or that was never enqueued (replay, queue full, storage
   * error). Idempotent. The delete is written before this returns: the queue shard forgets its pending release once
   * this call succeeds, so a release held back in memory and lost in a restart would take the slot for good.
   */
  async releaseJob(jobId: string): Promise<void> {
    const active = this.activeJobs();
    active.delete(jobId);
    this.activeChanges.delete(jobId);
    this.ctx.storage.sql.exec('DELETE FROM active_jobs WHERE job_id = ?', jobId);
  }
}
