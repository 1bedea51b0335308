import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Port: number;
  }
}

/** Starts a SigV4-verifying S3 server on 127.0.0.1 (random port) with the bucket `kd-test` for the whole run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const directory = mkdtempSync(join(tmpdir(), 'kd-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: 'kd-test' }] });
  const { port } = await server.run();
  project.provide('s3Port', port);
  return async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
