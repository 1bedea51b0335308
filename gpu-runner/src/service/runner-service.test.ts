import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEdge } from '../../test/service/fake-edge.js';
import { FakeGenerator } from '../../test/service/fake-generator.js';
import { silentLogger } from './logger.js';
import { verifyModelFolder } from './model-folder-check.js';
import { startRunnerService } from './runner-service.js';

const SECRET = 'service-test-secret-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'runner-service-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function env(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const edge = new FakeEdge(SECRET);
  const url = await edge.listen();
  cleanups.push(() => edge.close());
  return {
    EDGE_URL: url,
    RUNNER_ID: 'svc-test',
    RUNNER_SECRET: SECRET,
    KANDINSKY_WEIGHTS: await tempDir(),
    KANDINSKY_BACKEND: 'cpu',
    // The start-up parity check has its own tests (runner-startup-check.test.ts); these are about the service.
    VERIFY_ON_START: 'false',
    S3_ENDPOINT: 'http://127.0.0.1:1',
    S3_BUCKET: 'b',
    S3_ACCESS_KEY_ID: 'k',
    S3_SECRET_ACCESS_KEY: 's',
    PORT: '0',
    HOST: '127.0.0.1',
    LEASE_WAIT_MS: '100',
    ...extra,
  };
}

describe('startRunnerService', () => {
  it('serves /healthz, /readyz and Prometheus /metrics once ready, and drains on stop', async () => {
    const service = await startRunnerService({
      env: await env(),
      createGenerator: async () => new FakeGenerator(),
      log: silentLogger,
    });
    const base = `http://127.0.0.1:${service.healthPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      runner: 'svc-test',
      backend: 'cpu',
      model: 'fake generator (tests)',
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('kandinsky_runner_backend_info{backend="cpu",tf_backend="cpu"} 1');
    expect(metrics).toContain('kandinsky_runner_ready 1');
    expect(metrics).toMatch(/kandinsky_runner_memory_bytes\{area="rss"\} \d+/);
    await service.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('turns /readyz to 503 as soon as draining starts, while a job may still finish', async () => {
    const e = await env({ SHUTDOWN_GRACE_MS: '200' });
    const service = await startRunnerService({
      env: e,
      createGenerator: async () => new FakeGenerator(),
      log: silentLogger,
    });
    const base = `http://127.0.0.1:${service.healthPort}`;
    const stopping = service.stop();
    // The health port stays open until the job loop has stopped (its lease poll lasts up to LEASE_WAIT_MS=100).
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', draining: true });
    await stopping;
    expect(service.metrics.ready.get()).toBe(0);
  });

  it('refuses to start on a bad configuration, naming the variable', async () => {
    await expect(
      startRunnerService({ env: { ...(await env()), EDGE_URL: 'nope' }, log: silentLogger }),
    ).rejects.toThrow(/EDGE_URL/);
  });

  it('refuses to start when the model folder does not exist', async () => {
    const e = await env({ KANDINSKY_WEIGHTS: '/nonexistent/model' });
    await expect(
      startRunnerService({ env: e, createGenerator: async () => new FakeGenerator(), log: silentLogger }),
    ).rejects.toThrow(/KANDINSKY_WEIGHTS=\/nonexistent\/model: no such folder/);
  });
});

describe('verifyModelFolder', () => {
  it('accepts intact components and names missing and corrupt ones', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'movq'));
    await writeFile(join(dir, 'movq', 'weights.bin'), 'abc');
    const manifest = {
      format: 'kandinsky-tfjs-component',
      version: 1,
      kind: 'movq',
      files: {
        'weights.bin': { bytes: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
      },
    };
    await writeFile(join(dir, 'movq', 'component.json'), JSON.stringify(manifest));
    expect(Object.keys((await verifyModelFolder(dir, ['movq'])).components)).toEqual(['movq']);
    await expect(verifyModelFolder(dir, ['movq', 'unet'])).rejects.toThrow(
      /missing component folder\(s\) unet \(found: movq\)/,
    );
    await writeFile(join(dir, 'movq', 'weights.bin'), 'abd');
    await expect(verifyModelFolder(dir, ['movq'])).rejects.toThrow(/movq\/weights.bin is corrupt \(checksum mismatch/);
  });
});
