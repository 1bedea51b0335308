/** Why a bucket call failed: an upload, a download, or no bucket configured at all. */
export type BucketFailure = 'put_failed' | 'get_failed' | 'not_configured';

/**
 * A failed bucket call. The storage layer knows nothing of HTTP: the app's error handler turns this into the
 * client-facing answer (errors/error-response.ts).
 * @example throw new BucketError('get_failed', `S3 GET ${key}: 404`);
 */
export class BucketError extends Error {
  constructor(
    readonly failure: BucketFailure,
    detail: string,
  ) {
    super(detail);
    this.name = 'BucketError';
  }
}
