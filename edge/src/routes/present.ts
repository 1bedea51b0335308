import type { Context } from 'hono';
import { readConfig } from '../config';
import { type PublicJob, presentJob } from '../jobs/present-job';
import type { JobRecord } from '../jobs/types';
import { storeFromConfig } from '../storage/store-from-config';
import type { AppEnv } from '../types';

/** Presents a job for the current request, signing result URLs with the deployment's expiry. */
export function presentForRequest(c: Context<AppEnv>, job: JobRecord): Promise<PublicJob> {
  const config = readConfig(c.env);
  return presentJob(job, config.s3 ? storeFromConfig(config) : null, config.resultUrlTtlSeconds);
}
