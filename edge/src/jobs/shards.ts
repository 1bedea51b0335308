import { readConfig } from '../config';
import type { Env } from '../env';
import { ApiError } from '../errors/api-error';
import { shardName, shardOfJobId } from './job-id';

/** The Durable Object stub of queue shard `index`. */
export function shardStub(env: Env, index: number) {
  return env.QUEUE.get(env.QUEUE.idFromName(shardName(index)));
}

/** The shard holding job `id`; a malformed id is a 404 like any unknown job (no hint about id structure). */
export function shardForJob(env: Env, id: string) {
  const shard = shardOfJobId(id, readConfig(env).queueShards);
  if (shard === null) throw jobNotFound(id);
  return shardStub(env, shard);
}

/** The 404 for a job that does not exist or belongs to someone else (indistinguishable on purpose). */
export function jobNotFound(id: string): ApiError {
  return new ApiError(404, `No job found with id '${id.slice(0, 64)}'.`, { param: 'id', code: 'job_not_found' });
}
