import type { Config } from '../config';
import { ApiError } from '../errors/api-error';
import { ObjectStore } from './object-store';

const stores = new WeakMap<Config, ObjectStore>();

/**
 * The bucket client for this deployment; throws a 503 when storage is not configured, so a missing secret shows up as
 * a clear error instead of a crash.
 */
export function storeFromConfig(config: Config): ObjectStore {
  const cached = stores.get(config);
  if (cached) return cached;
  if (!config.s3) {
    throw new ApiError(503, 'Object storage is not configured on this gateway.', { code: 'storage_not_configured' });
  }
  const store = new ObjectStore(config.s3);
  stores.set(config, store);
  return store;
}
