import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, fetchPng } from '../support/api.js';
import { listKeys, resultPrefix } from '../support/bucket.js';
import { ROOT, startTestStack } from '../support/stack-fixture.js';

/**
 * Faults, end to end: leases of 10 s (heartbeats every 0.5 s; this 2-core machine is shared, so round trips were measured at up to 3.4 s) so a dead runner's job comes back within seconds, and
 * two attempts per job so exhaustion shows quickly.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: Api;

beforeAll(async () => {
  stack = await startTestStack({
    runners: 0,
    edgeVars: { LEASE_TTL_SECONDS: '10', MAX_ATTEMPTS: '2' },
    runnerEnv: { S3_UPLOAD_ATTEMPTS: '3', S3_RETRY_BASE_MS: '200', SHUTDOWN_GRACE_MS: '300', LOG_LEVEL: 'debug' },
  });
  api = new Api(stack.edgeUrl, stack.apiKey);
});
afterAll(async () => stack?.cleanup());

const LONG = { prompt: 'a slow one', size: '64x64', steps: 30, prior_steps: 2 };

describe('fault tolerance', () => {
  it('a runner killed mid-job: the job completes on another runner, exactly once (one set of result objects)', async () => {
    const a = await stack.addRunner();
    const created = await api.createJob('text2image', { ...LONG, n: 2 });
    await api.waitUntil(created.id, (j) => j.status === 'running' && j.progress !== null);
    await a.stop('SIGKILL');
    const b = await stack.addRunner();
    const job = await api.waitForJob(created.id, 120_000);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.attempts).toBe(2); // the dead runner's lease expired and used one attempt
    for (const image of job.output!.images) await fetchPng(image.url, 64, 64);
    expect(await listKeys(stack.s3, resultPrefix(job.output!.images[0].url))).toHaveLength(2);
    await b.stop('SIGTERM');
  });

  it('a runner restarted (SIGTERM) releases its job: no leaked lease, no attempt used', async () => {
    const a = await stack.addRunner();
    const created = await api.createJob('text2image', { ...LONG });
    await api.waitUntil(created.id, (j) => j.status === 'running' && j.progress !== null);
    const t0 = Date.now();
    expect(await a.stop('SIGTERM')).toBe(0);
    // Released at once, not after the 10 s lease expiry, and the attempt was given back.
    const queued = await api.waitUntil(created.id, (j) => j.status === 'queued', 10_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(queued.attempts).toBe(0);
    const b = await stack.addRunner();
    const job = await api.waitForJob(created.id, 180_000);
    expect(job.status).toBe('succeeded');
    expect(job.attempts).toBe(1);
    await b.stop('SIGTERM');
  });

  it('storage down for a while: uploads are retried with backoff and the job succeeds once it is back', async () => {
    // Up to 6 tries, waiting ~0.3, 0.6, 1.2, 2.4, 2.4 s: storage comes back within that window.
    const runner = await stack.addRunner({ S3_UPLOAD_ATTEMPTS: '6', S3_RETRY_BASE_MS: '300' });
    const metrics = async () => (await fetch(`${runner.healthUrl}/metrics`)).text();
    await stack.s3.pause();
    try {
      const created = await api.createJob('text2image', { prompt: 'outage', size: '64x64', steps: 3, prior_steps: 2 });
      await expect
        .poll(metrics, { timeout: 60_000, interval: 100 })
        .toMatch(/kandinsky_runner_storage_retries_total\{op="put"\} [1-9]/);
      await stack.s3.resume();
      const job = await api.waitForJob(created.id, 120_000);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.attempts).toBe(1); // the retries happened inside the first attempt
      await fetchPng(job.output!.images[0].url, 64, 64);
    } finally {
      await stack.s3.resume();
      await runner.stop('SIGTERM');
    }
  });

  it('storage down for good: a visible failure after the attempts, never a success without images', async () => {
    const runner = await stack.addRunner();
    await stack.s3.pause();
    try {
      const created = await api.createJob('text2image', { prompt: 'outage', size: '64x64', steps: 3, prior_steps: 2 });
      const job = await api.waitForJob(created.id, 120_000);
      expect(job.status).toBe('failed');
      expect(job.error!.code).toBe('attempts_exhausted');
      expect(job.error!.message).toContain('storage_error');
      expect(job.output).toBeNull();
    } finally {
      await stack.s3.resume();
      await runner.stop('SIGTERM');
    }
  });

  it('a bad model folder: the runner refuses to start with a clear message', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'bad-model-'));
    try {
      await cp(stack.model.weights, bad, { recursive: true });
      const shards = (await readdir(join(bad, 'unet', 'main'))).filter((f) => f.endsWith('.bin'));
      await writeFile(join(bad, 'unet', 'main', shards[0]), 'not the weights');
      const { code, stderr } = await runRunner({
        ...stack.runnerEnv,
        KANDINSKY_WEIGHTS: bad,
        RUNNER_ID: 'bad-model',
        PORT: '0',
      });
      expect(code).toBe(1);
      expect(stderr).toContain('kandinsky runner: cannot start');
      expect(stderr).toMatch(/unet\/main\/group1-shard\S* is corrupt \(checksum mismatch/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

/** Runs a runner process to its exit (it must exit by itself), returning the exit code and stderr. */
function runRunner(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gpu-runner/src/service/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env, HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the runner did not exit on a bad model folder:\n${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}
