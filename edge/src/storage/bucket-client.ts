import { AwsClient } from 'aws4fetch';
import { BucketError } from './bucket-error';

/** Connection settings of an S3-compatible bucket (path-style addressing). */
export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Longest expiry S3 accepts for a SigV4 presigned URL (7 days). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * Minimal S3 client for the gateway: PUT input images, GET results (for inline base64), presign result URLs.
 * Uses path-style URLs (`<endpoint>/<bucket>/<key>`), which every S3-compatible server accepts.
 * @example const url = await new BucketClient(settings).presignGet('results/t/job/0.png', 3600);
 */
export class BucketClient {
  private readonly client: AwsClient;

  constructor(private readonly settings: S3Settings) {
    this.client = new AwsClient({
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
      region: settings.region,
      service: 's3',
    });
  }

  /** Path-style URL of an object; each key segment is percent-encoded, slashes kept. */
  objectUrl(key: string): URL {
    const encodedKey = key.split('/').map(encodeURIComponent).join('/');
    return new URL(`${this.settings.endpoint}/${encodeURIComponent(this.settings.bucket)}/${encodedKey}`);
  }

  /** Stores bytes under `key`; throws a {@link BucketError} when the bucket refuses. */
  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    const response = await this.client.fetch(this.objectUrl(key).toString(), {
      method: 'PUT',
      body,
      headers: { 'content-type': contentType, 'content-length': String(body.byteLength) },
    });
    if (!response.ok) {
      const detail = await response.text().catch(() => '');
      throw new BucketError('put_failed', `S3 PUT ${key}: ${response.status} ${detail.slice(0, 300)}`);
    }
    await response.body?.cancel();
  }

  /** Reads an object fully; throws a {@link BucketError} when the bucket refuses. */
  async get(key: string): Promise<Uint8Array> {
    const response = await this.client.fetch(this.objectUrl(key).toString(), { method: 'GET' });
    if (!response.ok) {
      throw new BucketError('get_failed', `S3 GET ${key}: ${response.status}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * A presigned GET URL valid for `expiresInSeconds` (clamped to 1..7 days, the SigV4 maximum).
   * Anyone with the URL can read the object until it expires; tampering with any part invalidates it.
   */
  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    const expires = Math.min(MAX_PRESIGN_SECONDS, Math.max(1, Math.floor(expiresInSeconds)));
    const url = this.objectUrl(key);
    url.searchParams.set('X-Amz-Expires', String(expires));
    const signed = await this.client.sign(url.toString(), { method: 'GET', aws: { signQuery: true } });
    return signed.url;
  }
}
