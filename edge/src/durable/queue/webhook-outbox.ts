import type { Config } from '../../config';
import { presentJobWithConfig } from '../../jobs/present-job';
import { deliverWebhook, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_MS } from '../../webhooks/deliver';
import { checkWebhookTarget } from '../../webhooks/target-policy';
import type { JobTable } from './job-table';
import { rowToJob } from './schema';

/** Most deliveries sent per pass, so one pass stays short; the rest go in the next. */
const DELIVERY_BATCH = 20;

/**
 * Sends the webhooks of `webhook_deliveries` that are due at `now` and records each outcome: delivered, a retry time
 * from the backoff schedule, or given up (attempts used up, or the target now refused by policy). Returns how many
 * were due.
 */
export async function deliverDueWebhooks(
  sql: SqlStorage,
  jobs: JobTable,
  config: Config,
  now: number,
): Promise<number> {
  const due = sql
    .exec<{ message_id: string; job_id: string; event_type: string; attempts: number }>(
      'SELECT message_id, job_id, event_type, attempts FROM webhook_deliveries WHERE next_attempt_at <= ? LIMIT ?',
      now,
      DELIVERY_BATCH,
    )
    .toArray();
  if (due.length === 0) return 0;
  await Promise.all(
    due.map(async (delivery) => {
      const row = jobs.row(delivery.job_id);
      if (!row?.webhook_url || !row.webhook_secret) {
        sql.exec('UPDATE webhook_deliveries SET next_attempt_at = NULL WHERE message_id = ?', delivery.message_id);
        return;
      }
      const url = row.webhook_url as string;
      // Re-check at send time: the policy may have been tightened since the job was created.
      const problem = checkWebhookTarget(url, {
        allowPrivate: config.allowPrivateWebhooks,
        requireHttps: config.environment === 'production',
      });
      const attempt = delivery.attempts + 1;
      let outcome: { delivered: boolean; status: number | null; error: string | null };
      if (problem) {
        outcome = { delivered: false, status: null, error: problem.message };
      } else {
        const data = await presentJobWithConfig(rowToJob(row), config);
        const body = JSON.stringify({ type: delivery.event_type, timestamp: new Date(now).toISOString(), data });
        outcome = await deliverWebhook({
          url,
          secret: row.webhook_secret as string,
          messageId: delivery.message_id,
          body,
          now,
        });
      }
      const retryAt =
        outcome.delivered || problem || attempt >= WEBHOOK_MAX_ATTEMPTS
          ? null
          : now + WEBHOOK_RETRY_DELAYS_MS[attempt - 1];
      sql.exec(
        `UPDATE webhook_deliveries SET attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?,
           delivered_at = ? WHERE message_id = ?`,
        attempt,
        outcome.status,
        outcome.error,
        retryAt,
        outcome.delivered ? now : null,
        delivery.message_id,
      );
    }),
  );
  return due.length;
}
