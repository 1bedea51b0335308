import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { retryWithBackoff } from './retry.js';

/** Storage failed after every retry; the job fails with `storage_error` (retryable: another runner may succeed). */
export class StorageError extends Error {
  override readonly name = 'StorageError';
}

/** An input object does not exist (a bad key will not appear by retrying). */
export class MissingObjectError extends Error {
  override readonly name = 'MissingObjectError';
}

export interface ObjectStoreOptions {
  bucket: string;
  attempts: number;
  retryBaseMs: number;
  /** Called on every retried failure (metrics, logs). */
  onRetry?: (op: 'put' | 'get', key: string, err: unknown, attempt: number) => void;
}

/**
 * The runner's view of the bucket: read input images, write results. Every call is retried with exponential backoff;
 * a call that still fails throws {@link StorageError}, so a job never completes without its images stored.
 */
export class ObjectStore {
  constructor(
    private readonly s3: S3Client,
    private readonly opts: ObjectStoreOptions,
  ) {}

  /** Writes `body` under `key` with its content type and user metadata (ASCII values, see {@link generationMetadata}). */
  async put(
    key: string,
    body: Uint8Array,
    contentType: string,
    metadata: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await retryWithBackoff(
        () =>
          this.s3.send(
            new PutObjectCommand({
              Bucket: this.opts.bucket,
              Key: key,
              Body: body,
              ContentType: contentType,
              ContentLength: body.byteLength,
              Metadata: metadata,
            }),
            { abortSignal: signal },
          ),
        {
          attempts: this.opts.attempts,
          baseMs: this.opts.retryBaseMs,
          signal,
          onRetry: (err, attempt) => this.opts.onRetry?.('put', key, err, attempt),
        },
      );
    } catch (err) {
      throw new StorageError(`could not store ${key} after ${this.opts.attempts} attempts: ${describe(err)}`, {
        cause: err,
      });
    }
  }

  /** Reads an object fully. */
  async get(key: string, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      return await retryWithBackoff(
        async () => {
          const out = await this.s3.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: key }), {
            abortSignal: signal,
          });
          if (!out.Body) throw new Error('empty response body');
          return out.Body.transformToByteArray();
        },
        {
          attempts: this.opts.attempts,
          baseMs: this.opts.retryBaseMs,
          signal,
          shouldRetry: (err) => !isNotFound(err),
          onRetry: (err, attempt) => this.opts.onRetry?.('get', key, err, attempt),
        },
      );
    } catch (err) {
      if (isNotFound(err)) throw new MissingObjectError(`input object ${key} does not exist`);
      throw new StorageError(`could not read ${key} after ${this.opts.attempts} attempts: ${describe(err)}`, {
        cause: err,
      });
    }
  }
}

/** True for S3's "no such key" answers. */
export function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}${status}`;
}
