import { S3Client } from '@aws-sdk/client-s3';

/** Connection settings of an S3-compatible endpoint. */
export interface S3Connection {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * An S3 client that works against AWS and S3-compatible servers (radosgw, MinIO, s3rver): path-style addressing, and
 * checksums only when an operation requires them (non-AWS servers reject or corrupt streamed uploads otherwise).
 * `maxAttempts: 1` because callers retry themselves, with their own backoff and metrics.
 * @example const s3 = createS3Client({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', accessKeyId, secretAccessKey })
 */
export function createS3Client(conn: S3Connection, opts: { requestTimeoutMs?: number } = {}): S3Client {
  const client = new S3Client({
    endpoint: conn.endpoint,
    region: conn.region,
    credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
  });
  // Bucket-level requests go to "/<bucket>/" in path style; some servers (s3rver) only route "/<bucket>". Every S3
  // server accepts the trimmed form, so trim it everywhere.
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { path?: string };
      if (typeof request.path === 'string' && /^\/[^/]+\/$/.test(request.path))
        request.path = request.path.slice(0, -1);
      return next(args);
    },
    { step: 'build', name: 'trimBucketPathSlash' },
  );
  return client;
}
