/// <reference path="../../types/s3rver.d.ts" />
import { mkdir } from 'node:fs/promises';
import S3rver from '@20minutes/s3rver';

/** A running local S3-compatible server. */
export interface LocalS3 {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops serving (connections are refused) while keeping the data; fault tests use it as an outage. */
  pause(): Promise<void>;
  /** Serves again on the same port and data directory. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts an S3-compatible server that keeps objects on disk under `directory` (@20minutes/s3rver: verifies SigV4
 * signatures and presigned-URL expiry like real S3) with `bucket` created. Its fixed credentials are S3RVER/S3RVER.
 */
export async function startLocalS3(opts: { port: number; directory: string; bucket: string }): Promise<LocalS3> {
  await mkdir(opts.directory, { recursive: true });
  const make = (port: number) =>
    new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory: opts.directory,
      configureBuckets: [{ name: opts.bucket }],
    });
  let server: S3rver | null = make(opts.port);
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: opts.bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    async pause() {
      await server?.close();
      server = null;
    },
    async resume() {
      if (server) return;
      server = make(port);
      await server.run();
    },
    async close() {
      await server?.close();
      server = null;
    },
  };
}
