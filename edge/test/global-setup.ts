import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Port: number;
    hookPort: number;
  }
}

/**
 * A webhook receiver on 127.0.0.1: `POST /hooks/<name>` records headers and body (answering 500 when the name starts
 * with `fail-`); `GET /received/<name>` returns what was recorded.
 */
async function startWebhookReceiver(): Promise<{ port: number; close(): Promise<void> }> {
  const received = new Map<string, { headers: Record<string, unknown>; body: string }[]>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = request.url ?? '';
      if (request.method === 'POST' && url.startsWith('/hooks/')) {
        const name = url.slice('/hooks/'.length);
        const list = received.get(name) ?? [];
        list.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        received.set(name, list);
        response.writeHead(name.startsWith('fail-') ? 500 : 204).end();
      } else if (request.method === 'GET' && url.startsWith('/received/')) {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(received.get(url.slice('/received/'.length)) ?? []));
      } else {
        response.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Starts a SigV4-verifying S3 server on 127.0.0.1 (random port) with the bucket `kd-test` for the whole run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const directory = mkdtempSync(join(tmpdir(), 'kd-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: 'kd-test' }],
  });
  const { port } = await server.run();
  project.provide('s3Port', port);
  const hooks = await startWebhookReceiver();
  project.provide('hookPort', hooks.port);
  return async () => {
    await server.close();
    await hooks.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
