import type { JobRecord } from '../../jobs/types';

/** SQL schema of a queue shard. Idempotent; runs in every constructor. */
export const QUEUE_SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  key_object_id TEXT NOT NULL,
  task TEXT NOT NULL,
  params TEXT NOT NULL,
  output_prefix TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  lease_id TEXT,
  lease_expires_at INTEGER,
  runner_id TEXT,
  progress TEXT,
  previews TEXT,
  result TEXT,
  error TEXT,
  webhook_url TEXT,
  webhook_secret TEXT,
  user TEXT,
  idempotency_key TEXT,
  request_hash TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  completed_at INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(status, created_at);
CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs(tenant, created_at);
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs(status, lease_expires_at);
CREATE INDEX IF NOT EXISTS jobs_completed ON jobs(completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_idempotency ON jobs(tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS idempotency_reservations (
  tenant TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, idempotency_key)
);
CREATE TABLE IF NOT EXISTS key_releases (job_id TEXT PRIMARY KEY, key_object_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  message_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  delivered_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_due ON webhook_deliveries(next_attempt_at);
CREATE TABLE IF NOT EXISTS drain_stats (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_lease_at INTEGER,
  backlogged INTEGER NOT NULL DEFAULT 0,
  interval_ms REAL,
  samples INTEGER NOT NULL DEFAULT 0
);
`;

/**
 * Brings a shard's storage up to {@link QUEUE_SCHEMA}: creates what is missing and adds the columns later versions
 * introduced to tables an earlier version created (`jobs.previews`). Idempotent; runs in every constructor.
 */
export function migrateQueueSchema(sql: SqlStorage): void {
  sql.exec(QUEUE_SCHEMA);
  const columns = new Set(
    sql
      .exec<{ name: string }>("SELECT name FROM pragma_table_info('jobs')")
      .toArray()
      .map((c) => c.name),
  );
  if (!columns.has('previews')) sql.exec('ALTER TABLE jobs ADD COLUMN previews TEXT');
}

/** A `jobs` row as SQLite returns it. */
export type JobRow = Record<string, SqlStorageValue>;

const parse = <T>(value: SqlStorageValue): T | null => (value === null ? null : (JSON.parse(value as string) as T));

/** Converts a `jobs` row into a {@link JobRecord} (the webhook secret stays inside the shard). */
export function rowToJob(row: JobRow): JobRecord {
  return {
    id: row.id as string,
    tenant: row.tenant as string,
    key_object_id: row.key_object_id as string,
    task: row.task as JobRecord['task'],
    params: JSON.parse(row.params as string),
    output_prefix: row.output_prefix as string,
    status: row.status as JobRecord['status'],
    attempts: row.attempts as number,
    max_attempts: row.max_attempts as number,
    lease_id: row.lease_id as string | null,
    lease_expires_at: row.lease_expires_at as number | null,
    runner_id: row.runner_id as string | null,
    progress: parse(row.progress),
    previews: parse<number[]>(row.previews) ?? [],
    result: parse(row.result),
    error: parse(row.error),
    webhook_url: row.webhook_url as string | null,
    user: row.user as string | null,
    version: row.version as number,
    created_at: row.created_at as number,
    updated_at: row.updated_at as number,
    started_at: row.started_at as number | null,
    completed_at: row.completed_at as number | null,
  };
}
