/// <reference path="../../types/s3rver.d.ts" />
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import S3rver from '@20minutes/s3rver';
import { listenOn, type PortChoice } from './ports.js';
import { requireSignedRequests } from './s3-guard.js';

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

const HOST = '127.0.0.1';

/**
 * Starts an S3-compatible server that keeps objects on disk under `directory` with `bucket` created. @20minutes/s3rver
 * verifies SigV4 signatures and presigned-URL expiry like real S3; in front of it, {@link requireSignedRequests}
 * refuses what s3rver would serve anonymously, so the bucket is private like a real one. The server binds as `port`
 * says (0: any free port) before it is announced. Its fixed credentials are S3RVER/S3RVER.
 * @throws PortInUseError when an exact `port` is taken.
 */
export async function startLocalS3(opts: { port: PortChoice; directory: string; bucket: string }): Promise<LocalS3> {
  await mkdir(opts.directory, { recursive: true });
  const s3rver = new S3rver({ silent: true, directory: opts.directory, configureBuckets: [{ name: opts.bucket }] });
  await s3rver.configureBuckets();
  const server = createServer(requireSignedRequests(s3rver.callback()));
  const port = await listenOn(server, opts.port, HOST, 's3');
  let serving = true;
  const stopServing = async () => {
    if (!serving) return;
    serving = false;
    // New connections are refused at once; Node closes idle keep-alive ones and lets requests in flight finish.
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    endpoint: `http://${HOST}:${port}`,
    bucket: opts.bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    pause: stopServing,
    async resume() {
      if (serving) return;
      await listenOn(server, port, HOST, 's3');
      serving = true;
    },
    async close() {
      await stopServing();
      // What s3rver's own server does on close: release its logger.
      s3rver.logger.exceptions.unhandle();
      s3rver.logger.close();
    },
  };
}
