import type { Env } from '../env';
import { shardForJob } from './shards';
import { isTerminal, type JobRecord } from './types';

/**
 * Holds until the job is terminal or `timeoutMs` passes, using the shard's change notifications (no polling).
 * Returns the latest record, or null if the job vanished.
 */
export async function waitForJob(
  env: Env,
  job: JobRecord,
  tenant: string,
  timeoutMs: number,
): Promise<JobRecord | null> {
  const shard = shardForJob(env, job.id);
  const deadline = Date.now() + timeoutMs;
  let current: JobRecord | null = job;
  while (current && !isTerminal(current.status)) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    current = await shard.watch(job.id, tenant, current.version, remaining);
  }
  return current;
}
