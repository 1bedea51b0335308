import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEdge } from '../../test/service/fake-edge.js';
import { FakeGenerator } from '../../test/service/fake-generator.js';
import { wasmThreadCount } from '../tf/wasm-threads.js';
import { perturbKernel } from '../verify/fault-injection.js';
import { createLogger } from './logger.js';
import { startRunnerService } from './runner-service.js';

/**
 * The start-up parity check on the wasm backend with two XNNPACK threads (threads are fixed per process; vitest runs
 * this file in its own fork). The runner only becomes ready once the tiny suite of `kandinsky verify` passes on the
 * backend it will serve with; a wrong kernel keeps it from ever becoming ready.
 */
const SECRET = 'startup-test-secret-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function env(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const edge = new FakeEdge(SECRET);
  const url = await edge.listen();
  const weights = await mkdtemp(join(tmpdir(), 'runner-startup-'));
  cleanups.push(async () => {
    await edge.close();
    await rm(weights, { recursive: true, force: true });
  });
  return {
    EDGE_URL: url,
    RUNNER_ID: 'startup-test',
    RUNNER_SECRET: SECRET,
    KANDINSKY_WEIGHTS: weights,
    KANDINSKY_BACKEND: 'wasm',
    KANDINSKY_WASM_THREADS: '2',
    S3_ENDPOINT: 'http://127.0.0.1:1',
    S3_BUCKET: 'b',
    S3_ACCESS_KEY_ID: 'k',
    S3_SECRET_ACCESS_KEY: 's',
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    LEASE_WAIT_MS: '100',
    WARMUP: 'false',
    ...extra,
  };
}

/** A logger keeping its JSON lines. */
function memoryLog() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger('info', (line) => lines.push(JSON.parse(line))) };
}

describe('runner start-up parity check', () => {
  it('runs before /readyz turns true, on the backend it serves with, and keeps wasm threads when they pass', async () => {
    const { lines, log } = memoryLog();
    let generatorCreated = false;
    const service = await startRunnerService({
      env: await env(),
      log,
      createGenerator: async () => {
        // The model is only loaded once the backend has been verified.
        expect(lines.some((l) => String(l.msg).startsWith('start-up parity check passed'))).toBe(true);
        generatorCreated = true;
        return new FakeGenerator();
      },
    });
    cleanups.push(() => service.stop());
    expect(generatorCreated).toBe(true);
    const passed = lines.filter((l) => String(l.msg).startsWith('start-up parity check passed'));
    expect(passed).toHaveLength(1);
    expect(passed[0]).toMatchObject({ msg: 'start-up parity check passed: wasm threads on (2)', threads: 2 });
    expect(passed[0].checks).toBeGreaterThan(400);
    const ready = await fetch(`http://127.0.0.1:${service.healthPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', backend: 'wasm', verification: 'passed' });
  }, 300_000);

  it('refuses to serve, with one clear message, when a kernel is wrong; /readyz never turns true', async () => {
    const e = await env();
    const restore = perturbKernel('Softmax', { backend: 'wasm' });
    const readiness: number[] = [];
    let settled = false;
    try {
      const starting = startRunnerService({
        env: e,
        log: memoryLog().log,
        createGenerator: async () => new FakeGenerator(),
      });
      const settle = () => {
        settled = true;
      };
      starting.then(settle, settle);
      // Probe /readyz for as long as the start-up lasts.
      const probing = (async () => {
        while (!settled) {
          const status = await fetch(`http://127.0.0.1:${e.PORT}/readyz`).then(
            (r) => r.status,
            () => 0,
          );
          if (status) readiness.push(status);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const err = await starting.then(
        () => undefined,
        (x: Error) => x,
      );
      await probing;
      expect(err?.name).toBe('StartupVerificationError');
      expect(err?.message).toMatch(
        /^start-up verification failed on backend wasm \(1 thread\): tiny prior_text_encoder \S+: error \S+ > tolerance \S+( \(and \d+ more failed checks\))?\. This backend does not compute Kandinsky 2\.1 like the reference; refusing to serve\./,
      );
      expect(readiness.length).toBeGreaterThan(0);
      expect(readiness.every((s) => s === 503)).toBe(true);
      // The health port is closed: nothing is left serving.
      await expect(fetch(`http://127.0.0.1:${e.PORT}/healthz`)).rejects.toThrow();
    } finally {
      restore();
    }
  }, 300_000);

  it('falls back to one wasm thread, with one warning line, when only the threaded backend fails', async () => {
    const { lines, log } = memoryLog();
    const restore = perturbKernel('Softmax', { backend: 'wasm', when: () => wasmThreadCount() > 1 });
    try {
      const service = await startRunnerService({
        env: await env(),
        log,
        createGenerator: async () => new FakeGenerator(),
      });
      cleanups.push(() => service.stop());
      const about = lines.filter((l) => /wasm threads/.test(String(l.msg)));
      expect(about).toHaveLength(1);
      expect(about[0]).toMatchObject({
        level: 'warn',
        msg: 'wasm threads off: the 2-thread backend failed the start-up parity check; running 1 thread',
      });
      expect(String(about[0].failure)).toMatch(/^tiny prior_text_encoder /);
      expect(wasmThreadCount()).toBe(1);
      expect((await fetch(`http://127.0.0.1:${service.healthPort}/readyz`)).status).toBe(200);
    } finally {
      restore();
    }
  }, 300_000);

  it('can be turned off explicitly (VERIFY_ON_START=false), and says so', async () => {
    const { lines, log } = memoryLog();
    const service = await startRunnerService({
      env: await env({ VERIFY_ON_START: 'false', KANDINSKY_WASM_THREADS: '1' }),
      log,
      createGenerator: async () => new FakeGenerator(),
    });
    cleanups.push(() => service.stop());
    expect(lines.some((l) => l.level === 'warn' && /VERIFY_ON_START=false/.test(String(l.msg)))).toBe(true);
    expect(lines.some((l) => /start-up parity check passed/.test(String(l.msg)))).toBe(false);
    expect(await (await fetch(`http://127.0.0.1:${service.healthPort}/readyz`)).json()).toMatchObject({
      verification: 'skipped',
    });
  });
});
