import type { Config } from '../config';
import { BucketClient } from './bucket-client';
import { BucketError } from './bucket-error';

const stores = new WeakMap<Config, BucketClient>();

/**
 * The bucket client for this deployment; throws a {@link BucketError} `not_configured` when storage is not
 * configured, so a missing secret shows up as a clear error instead of a crash.
 */
export function bucketFromConfig(config: Config): BucketClient {
  const cached = stores.get(config);
  if (cached) return cached;
  if (!config.s3) {
    throw new BucketError('not_configured', 'S3 settings are missing');
  }
  const store = new BucketClient(config.s3);
  stores.set(config, store);
  return store;
}

/** The bucket client when storage is configured, else null: jobs are then shown without signed URLs. */
export function optionalBucket(config: Config): BucketClient | null {
  return config.s3 ? bucketFromConfig(config) : null;
}
