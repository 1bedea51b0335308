import { DurableObject } from 'cloudflare:workers';
import { RUNNER_CLOCK_SKEW_SECONDS } from '@kandinsky/protocol';
import type { Env } from '../env';

/** Outcome of {@link RunnerReplayGuard.claim}. */
export type NonceClaim = 'fresh' | 'replayed' | 'stale';

const SCHEMA = `CREATE TABLE IF NOT EXISTS used_nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS used_nonces_expiry ON used_nonces(expires_at);`;

/**
 * The memory that makes each signed runner request usable once: one object per runner id (`idFromName(runnerId)`;
 * the id is signed, so a replay always reaches the object that saw the original), holding the nonces it accepted in
 * SQLite until their timestamps leave the acceptance window.
 *
 * Why this is exact and durable: an object runs one call at a time and {@link claim} does its check and insert with no
 * await between them, so two concurrent copies of a request cannot both pass; and the runtime holds a call's answer
 * until its SQLite write is committed, so a nonce that was answered `fresh` is on disk before the request is served,
 * and a restart of the object cannot forget it. The window check uses this object's own clock, the same clock that
 * expires rows, so a row is never dropped while its request would still be accepted.
 */
export class RunnerReplayGuard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private schemaReady = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
  }

  /**
   * Records `nonce` of a request signed at `timestamp` (unix seconds) as used. `fresh` the first time, `replayed` for
   * any later use while the timestamp is acceptable, `stale` once it is outside ±{@link RUNNER_CLOCK_SKEW_SECONDS}.
   */
  async claim(nonce: string, timestamp: number): Promise<NonceClaim> {
    const now = Date.now();
    if (Math.abs(now / 1000 - timestamp) > RUNNER_CLOCK_SKEW_SECONDS) return 'stale';
    this.ensureSchema();
    // Rows whose timestamps can no longer be accepted are dead weight: dropping them here keeps the table at one
    // window of this runner's traffic (an index range delete, usually zero or one row).
    this.sql.exec('DELETE FROM used_nonces WHERE expires_at < ?', now);
    const expiresAt = (timestamp + RUNNER_CLOCK_SKEW_SECONDS) * 1000;
    const inserted = this.sql
      .exec(
        'INSERT INTO used_nonces (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING RETURNING 1',
        nonce,
        expiresAt,
      )
      .toArray().length;
    if (inserted === 0) return 'replayed';
    // When the runner goes quiet the alarm empties the object (committed with the insert, no extra round trip).
    void this.ctx.storage.setAlarm(expiresAt + 1);
    return 'fresh';
  }

  /** Drops expired nonces; frees the object's storage entirely once none is left (runner ids come and go with pods). */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.ensureSchema();
    this.sql.exec('DELETE FROM used_nonces WHERE expires_at < ?', now);
    const latest = this.sql.exec<{ at: number | null }>('SELECT MAX(expires_at) AS at FROM used_nonces').one().at;
    if (latest !== null) {
      void this.ctx.storage.setAlarm(latest + 1);
      return;
    }
    await this.ctx.storage.deleteAll();
    this.schemaReady = false;
  }

  private ensureSchema(): void {
    if (this.schemaReady) return;
    this.sql.exec(SCHEMA);
    this.schemaReady = true;
  }
}
