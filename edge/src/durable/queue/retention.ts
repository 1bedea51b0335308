/** Most finished jobs deleted per call, so one alarm never holds the shard for long; the next alarm takes the rest. */
const DELETE_BATCH = 1000;

/**
 * Deletes jobs that finished more than `retentionMs` before `now` (JOB_RETENTION_DAYS), at most {@link DELETE_BATCH}
 * per call, with their webhook log. Their bucket objects expire by the bucket's lifecycle rule. Returns how many jobs
 * were deleted.
 */
export function deleteExpiredJobs(sql: SqlStorage, now: number, retentionMs: number): number {
  const ids = sql
    .exec<{ id: string }>(
      'SELECT id FROM jobs WHERE completed_at IS NOT NULL AND completed_at < ? LIMIT ?',
      now - retentionMs,
      DELETE_BATCH,
    )
    .toArray()
    .map((row) => row.id);
  for (const id of ids) {
    sql.exec('DELETE FROM webhook_deliveries WHERE job_id = ?', id);
    sql.exec('DELETE FROM jobs WHERE id = ?', id);
  }
  return ids.length;
}
