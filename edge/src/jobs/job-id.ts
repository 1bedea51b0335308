import { randomToken } from '../lib/random';

const SHARD_DIGITS = 2;
const JOB_ID_PATTERN = /^job_([0-9a-z]{2})([0-9A-Za-z]{22})$/;

/**
 * Makes a job id that names its queue shard (two base-36 digits after `job_`), so reads go straight to the shard.
 * @example makeJobId(3) // 'job_03Xk…'
 */
export function makeJobId(shard: number): string {
  return `job_${shard.toString(36).padStart(SHARD_DIGITS, '0')}${randomToken(22)}`;
}

/** The shard index named by a job id, or null when the id is malformed or names a shard that does not exist. */
export function shardOfJobId(id: string, shardCount: number): number | null {
  const match = JOB_ID_PATTERN.exec(id);
  if (!match) return null;
  const shard = Number.parseInt(match[1], 36);
  return shard < shardCount ? shard : null;
}

/** Durable Object name of a queue shard. */
export function shardName(shard: number): string {
  return `queue-shard-${shard}`;
}
