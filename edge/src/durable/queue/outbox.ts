import { readConfig } from '../../config';
import type { Env } from '../../env';
import { isTerminal, type JobRecord } from '../../jobs/types';
import { makeWebhookMessageId } from '../../webhooks/sign';
import type { AlarmSchedule } from './alarm-schedule';
import type { JobTable } from './job-table';
import { deliverDueWebhooks } from './webhook-outbox';

/** Most key releases sent per pass. */
const KEY_RELEASE_BATCH = 100;

/**
 * The side effects of a finished job: freeing its running slot in its API key's object (`key_releases`) and its
 * webhook (`webhook_deliveries`). They are recorded in the same storage step as the transition that finished the job,
 * then sent right away and retried by the alarm until done, so none is lost when the isolate dies.
 */
export class Outbox {
  private running = false;
  private again = false;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly jobs: JobTable,
    private readonly alarm: AlarmSchedule,
  ) {}

  /** Records the side effects of `job` if it just finished; call in the transition's synchronous step. */
  recordIfFinished(job: JobRecord, webhookSecret: string | null, now: number): boolean {
    if (!isTerminal(job.status)) return false;
    this.sql.exec(
      'INSERT OR IGNORE INTO key_releases (job_id, key_object_id) VALUES (?, ?)',
      job.id,
      job.key_object_id,
    );
    if (job.webhook_url && webhookSecret) {
      this.sql.exec(
        'INSERT INTO webhook_deliveries (message_id, job_id, event_type, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)',
        makeWebhookMessageId(),
        job.id,
        `job.${job.status}`,
        now,
        now,
      );
    }
    return true;
  }

  /** Counts of side effects still to send (monitoring). */
  pending(): { pending_key_releases: number; pending_webhooks: number } {
    return {
      pending_key_releases: this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM key_releases').one().n,
      pending_webhooks: this.sql
        .exec<{ n: number }>(
          'SELECT COUNT(*) AS n FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL',
        )
        .one().n,
    };
  }

  /**
   * Frees key slots and sends due webhooks. Never runs twice at once in one isolate: a call during a pass makes the
   * pass go round once more instead.
   */
  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.flushKeyReleases();
        await this.deliverWebhooks();
      } while (this.again);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', where: 'queue-shard side effects', message: String(err) }));
    } finally {
      this.running = false;
    }
  }

  private async flushKeyReleases(): Promise<void> {
    const pending = this.sql
      .exec<{ job_id: string; key_object_id: string }>('SELECT * FROM key_releases LIMIT ?', KEY_RELEASE_BATCH)
      .toArray();
    await Promise.all(
      pending.map(async ({ job_id, key_object_id }) => {
        try {
          await this.env.API_KEYS.get(this.env.API_KEYS.idFromString(key_object_id)).releaseJob(job_id);
          this.sql.exec('DELETE FROM key_releases WHERE job_id = ?', job_id);
        } catch (err) {
          console.error(JSON.stringify({ level: 'warn', where: 'key release', job_id, message: String(err) }));
        }
      }),
    );
  }

  private async deliverWebhooks(): Promise<void> {
    const sent = await deliverDueWebhooks(this.sql, this.jobs, readConfig(this.env), Date.now());
    // A failed send leaves a retry time behind: the alarm must cover it.
    if (sent > 0) this.alarm.arm(Date.now());
  }
}
