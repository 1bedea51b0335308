import { heartbeatBodySchema } from '@kandinsky/protocol';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEdge } from '../../test/service/fake-edge.js';
import { FakeGenerator } from '../../test/service/fake-generator.js';
import { MemoryStore } from '../../test/service/memory-store.js';
import { type EdgeApi, EdgeClient } from './edge-client.js';
import { JobRefusedError } from './job-failure.js';
import { silentLogger } from './logger.js';
import { RunnerMetrics } from './runner-metrics.js';
import { RunnerWorker, type WorkerOptions } from './runner-worker.js';

const SECRET = 'test-runner-secret-0123456789';

interface Rig {
  edge: FakeEdge;
  store: MemoryStore;
  generator: FakeGenerator;
  metrics: RunnerMetrics;
  worker: RunnerWorker;
}

const rigs: Rig[] = [];

async function rig(
  opts: Partial<WorkerOptions> = {},
  edgeOpts: { leaseTtlMs?: number } = {},
  stepMs = 5,
  wrapClient: (client: EdgeApi) => EdgeApi = (client) => client,
): Promise<Rig> {
  const edge = new FakeEdge(SECRET, edgeOpts);
  const url = await edge.listen();
  const store = new MemoryStore();
  const generator = new FakeGenerator(stepMs);
  const metrics = new RunnerMetrics();
  const client = new EdgeClient({ baseUrl: url, runnerId: 'runner-a', secret: SECRET, retryBaseMs: 10 });
  const worker = new RunnerWorker(wrapClient(client), store, generator, metrics, silentLogger, {
    runnerId: 'runner-a',
    tasks: ['text2image', 'variation', 'fuse', 'img2img', 'inpaint'],
    maxBatch: 1,
    leaseWaitMs: 100,
    heartbeatIntervalMs: 50,
    progressIntervalMs: 20,
    ...opts,
  });
  const r = { edge, store, generator, metrics, worker };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.worker.stop(1000);
    await r.edge.close();
  }
});

describe('RunnerWorker against a fake edge', () => {
  it('runs a job: uploads decodable PNGs of the requested size with metadata, then completes once', async () => {
    const { edge, store, worker, metrics } = await rig();
    const id = edge.enqueue('text2image', { n: 2, width: 128, height: 64, seed: 41, steps: 3 });
    void worker.start();
    // The worker counts the job right after the edge acknowledged it.
    await edge.waitFor(() => metrics.jobs.get({ task: 'text2image', outcome: 'succeeded' }) === 1);
    const job = edge.jobs.get(id)!;
    expect(job.completions).toHaveLength(1);
    const images = job.completions[0].images;
    expect(images.map((i) => i.key)).toEqual([`results/tenant/${id}/0.png`, `results/tenant/${id}/1.png`]);
    expect(images.map((i) => i.seed)).toEqual([41, 42]);
    for (const image of images) {
      const stored = store.objects.get(image.key)!;
      expect(stored.contentType).toBe('image/png');
      expect(image.bytes).toBe(stored.body.byteLength);
      const png = PNG.sync.read(Buffer.from(stored.body));
      expect([png.width, png.height]).toEqual([128, 64]);
      expect(stored.metadata).toMatchObject({
        'job-id': id,
        task: 'text2image',
        steps: '3',
        width: '128',
        prompt: 'a%20red%20cat',
      });
    }
    expect(store.objects.get(images[1].key)!.metadata.seed).toBe('42');
    expect(metrics.images.get({ task: 'text2image' })).toBe(2);
    expect(metrics.jobs.get({ task: 'text2image', outcome: 'succeeded' })).toBe(1);
  });

  it('stores each preview under the job prefix and reports it at once, every one before completing; times the stages', async () => {
    // No throttled progress and no periodic heartbeat within the run: only previews make heartbeats.
    const { edge, store, worker } = await rig({ progressIntervalMs: 60_000, heartbeatIntervalMs: 60_000 }, {}, 20);
    const id = edge.enqueue('text2image', { n: 2, steps: 6, preview_steps: [2, 4] });
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.status === 'succeeded');
    for (const step of [2, 4]) {
      for (const i of [0, 1]) {
        const stored = store.objects.get(`results/tenant/${id}/previews/${step}-${i}.png`)!;
        expect(stored.contentType).toBe('image/png');
        expect(PNG.sync.read(Buffer.from(stored.body)).width).toBe(64);
      }
    }
    const calls = edge.calls.filter((call) => call.path.includes(id));
    const beats = calls.filter((call) => call.path.endsWith('/heartbeat'));
    // Every heartbeat body is what the edge accepts; previews are cumulative and only ever grow.
    const reported = beats.map((call) => heartbeatBodySchema.parse(call.body).progress?.previews ?? []);
    expect(reported).toContainEqual([2]);
    expect(reported.at(-1)).toEqual([2, 4]);
    for (let i = 1; i < reported.length; i++) expect(reported[i].length).toBeGreaterThanOrEqual(reported[i - 1].length);
    // The heartbeat with both previews left before the completion.
    const complete = calls.findIndex((call) => call.path.endsWith('/complete'));
    expect(calls.findIndex((call) => JSON.stringify(call.body).includes('"previews":[2,4]'))).toBeLessThan(complete);
    const timings = edge.jobs.get(id)!.completions[0].timings;
    for (const key of ['inputs_ms', 'decoder_ms', 'generate_ms', 'upload_ms', 'total_ms']) {
      expect(timings[key], key).toBeGreaterThanOrEqual(0);
    }
    expect(timings.decoder_ms).toBeGreaterThan(0);
  });

  it('a preview that cannot be stored is skipped; the job still succeeds', async () => {
    const { edge, store, worker, metrics } = await rig({}, {}, 20);
    const id = edge.enqueue('text2image', { steps: 6, preview_steps: [2, 4] });
    store.failPuts = 1; // the first write is the step-2 preview
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.status === 'succeeded');
    expect(store.objects.has(`results/tenant/${id}/previews/2-0.png`)).toBe(false);
    expect(store.objects.has(`results/tenant/${id}/previews/4-0.png`)).toBe(true);
    expect(edge.jobs.get(id)!.progress.at(-1)!.previews).toEqual([4]);
    expect(metrics.previews.get({ outcome: 'failed' })).toBe(1);
    expect(metrics.previews.get({ outcome: 'stored' })).toBe(1);
  });

  it('reports progress in order, throttled, always including the last step', async () => {
    const { edge, worker } = await rig({ progressIntervalMs: 1_000, heartbeatIntervalMs: 10_000 }, {}, 2);
    const id = edge.enqueue('text2image', { steps: 30 });
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.status === 'succeeded');
    const steps = edge.jobs.get(id)!.progress.map((p) => p.step);
    // 30 steps of ~2 ms within one 1 s window: the first step and the final one, nothing in between.
    expect(steps).toEqual([1, 30]);
  });

  it('stops a cancelled job between steps, uploads nothing and reports it cancelled', async () => {
    const { edge, store, worker, metrics } = await rig({ heartbeatIntervalMs: 20 }, {}, 20);
    const id = edge.enqueue('text2image', { steps: 150 });
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.progress.length > 0);
    edge.cancel(id);
    await edge.waitFor(() => metrics.jobs.get({ task: 'text2image', outcome: 'cancelled' }) === 1);
    expect(store.putAttempts).toBe(0);
    expect(edge.jobs.get(id)!.completions).toHaveLength(0);
    // Cancelled well before the 150 steps (3 s) would have finished.
    expect(edge.jobs.get(id)!.progress.at(-1)!.step).toBeLessThan(100);
  });

  it('fails a job visibly (retryable storage_error) when storage stays down, never completing it', async () => {
    const { edge, store, worker } = await rig();
    store.failPuts = 1_000;
    const id = edge.enqueue('text2image');
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.status === 'failed');
    const job = edge.jobs.get(id)!;
    expect(job.error).toMatchObject({ code: 'storage_error', retryable: true });
    expect(job.attempts).toBe(3); // requeued by the edge until its attempts were used
    expect(job.completions).toHaveLength(0);
  });

  it('recovers when storage comes back before the attempts run out', async () => {
    const { edge, store, worker } = await rig();
    store.failPuts = 1;
    const id = edge.enqueue('text2image');
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.status === 'succeeded');
    expect(edge.jobs.get(id)!.attempts).toBe(2);
    expect(edge.jobs.get(id)!.completions).toHaveLength(1);
  });

  it('fails bad requests without retry', async () => {
    const { edge, worker } = await rig();
    const webp = edge.enqueue('text2image', { output_format: 'webp' });
    const missing = edge.enqueue('img2img', { image: 'inputs/nope.png', strength: 0.5 });
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(webp)!.status === 'failed' && edge.jobs.get(missing)!.status === 'failed');
    expect(edge.jobs.get(webp)!.error).toMatchObject({ code: 'invalid_request', retryable: false });
    expect(edge.jobs.get(missing)!.error).toMatchObject({ code: 'input_missing', retryable: false });
    expect(edge.jobs.get(webp)!.attempts).toBe(1);
  });

  it('passes the input images read from the bucket to the generator', async () => {
    const { edge, store, generator, worker } = await rig();
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await store.put('inputs/j/image.png', png, 'image/png', {});
    await store.put('inputs/j/other.png', new Uint8Array([9]), 'image/png', {});
    const id = edge.enqueue('img2img', { image: 'inputs/j/image.png', strength: 0.5 });
    const fuse = edge.enqueue('fuse', {
      inputs: [
        { type: 'text', text: 'x', weight: 1 },
        { type: 'image', image: 'inputs/j/other.png', weight: 1 },
      ],
    });
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.status === 'succeeded' && edge.jobs.get(fuse)!.status === 'succeeded');
    const [img2img, fused] = generator.batches.map(([request]) => request);
    expect(img2img.task === 'img2img' && [...img2img.params.image]).toEqual([...png]);
    expect(fused.task === 'fuse' && fused.params.inputs).toEqual([
      { type: 'text', text: 'x', weight: 1 },
      { type: 'image', image: new Uint8Array([9]), weight: 1 },
    ]);
  });

  it('marks generator refusals non-retryable and crashes retryable', async () => {
    const { edge, generator, worker } = await rig();
    generator.failWith = new JobRefusedError('invalid_request', 'prompt too long for the model');
    const id = edge.enqueue('text2image');
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.status === 'failed');
    expect(edge.jobs.get(id)!.error).toMatchObject({ code: 'invalid_request', retryable: false });
    expect(edge.jobs.get(id)!.attempts).toBe(1);
    generator.failWith = new Error('CUDA out of memory');
    const crash = edge.enqueue('text2image');
    await edge.waitFor(() => edge.jobs.get(crash)!.status === 'failed');
    expect(edge.jobs.get(crash)!.error).toMatchObject({ code: 'runner_error', retryable: true });
    expect(edge.jobs.get(crash)!.attempts).toBe(3);
  });

  it('batches queued jobs of equal shape into one pass and hands back a different shape', async () => {
    const { edge, generator, worker, metrics } = await rig({ maxBatch: 4 });
    const same = [edge.enqueue('text2image', { seed: 1 }), edge.enqueue('text2image', { seed: 2, prompt: 'a dog' })];
    const other = edge.enqueue('text2image', { width: 128 });
    void worker.start();
    await edge.waitFor(() => [...same, other].every((id) => edge.jobs.get(id)!.status === 'succeeded'));
    expect(generator.batches.map((b) => b.map((r) => r.params.seed))).toEqual([[1, 2], [7]]);
    expect(edge.jobs.get(other)!.releases).toBe(1);
    expect(edge.jobs.get(other)!.attempts).toBe(1); // the release did not use an attempt
    expect(metrics.batchSize.count()).toBe(2);
  });

  it('on stop, releases a job that cannot finish within the grace time (no leaked lease)', async () => {
    const { edge, store, worker, metrics } = await rig({}, {}, 50);
    const id = edge.enqueue('text2image', { steps: 150 });
    const loop = worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.progress.length > 0);
    await worker.stop(100);
    await loop;
    const job = edge.jobs.get(id)!;
    expect(job.status).toBe('queued');
    expect(job.leaseId).toBeNull();
    expect(job.attempts).toBe(0);
    expect(store.putAttempts).toBe(0);
    expect(metrics.jobs.get({ task: 'text2image', outcome: 'released' })).toBe(1);
  });

  it('on stop, lets a job that finishes within the grace time complete', async () => {
    const { edge, worker } = await rig({}, {}, 20);
    const id = edge.enqueue('text2image', { steps: 10 });
    const loop = worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.progress.length > 0);
    await worker.stop(5_000);
    await loop;
    expect(edge.jobs.get(id)!.status).toBe('succeeded');
  });

  it('drops a job whose lease was lost: no upload, no completion', async () => {
    // Heartbeats every 400 ms but the lease lives 100 ms: the edge re-queues the job before the runner checks in.
    const { edge, store, worker, metrics } = await rig(
      { heartbeatIntervalMs: 400, progressIntervalMs: 60_000 },
      { leaseTtlMs: 100 },
      2,
    );
    const id = edge.enqueue('text2image', { steps: 100 });
    void worker.start();
    await edge.waitFor(() => metrics.jobs.get({ task: 'text2image', outcome: 'lost' }) >= 1);
    await worker.stop(2000);
    // The lease check before uploading saw the loss: nothing was written and nothing completed.
    expect(store.putAttempts).toBe(0);
    expect(edge.jobs.get(id)!.completions).toHaveLength(0);
  });

  it('refuses a leased job that breaks the request contract: invalid_request, no retry, nothing prepared', async () => {
    const { edge, generator, worker } = await rig();
    // The edge's limits are the runner's: what the edge refuses, a runner refuses too (prior_steps >= 2, steps <= 150,
    // sides <= 1024 and multiples of 64, only the task's own fields).
    const broken = {
      prior_steps: { prior_steps: 1 },
      steps: { steps: 151 },
      width: { width: 2048 },
      height: { height: 100 },
      strength: { strength: 0.5 },
    };
    const ids = Object.entries(broken).map(([param, params]) => [param, edge.enqueue('text2image', params)] as const);
    void worker.start();
    await edge.waitFor(() => ids.every(([, id]) => edge.jobs.get(id)!.status === 'failed'));
    for (const [param, id] of ids) {
      expect(edge.jobs.get(id)!.error, param).toMatchObject({ code: 'invalid_request', retryable: false });
      expect(edge.jobs.get(id)!.error!.message, param).toContain(param);
      expect(edge.jobs.get(id)!.attempts).toBe(1);
    }
    expect(generator.prepared).toHaveLength(0);
  });

  it('gives every seed in [0, 2^32) with every n: image i reports (seed + i) mod 2^32', async () => {
    const { edge, store, worker } = await rig();
    const id = edge.enqueue('text2image', { n: 3, seed: 4294967294 });
    void worker.start();
    await edge.waitFor(() => edge.jobs.get(id)!.status === 'succeeded');
    const images = edge.jobs.get(id)!.completions[0].images;
    expect(images.map((image) => image.seed)).toEqual([4294967294, 4294967295, 0]);
    expect(images.map((image) => store.objects.get(image.key)!.metadata.seed)).toEqual([
      '4294967294',
      '4294967295',
      '0',
    ]);
  });

  it('at maxBatch 4, a job that fails to prepare fails alone; the other three run as one pass', async () => {
    const { edge, generator, worker } = await rig({ maxBatch: 4 });
    const good = [1, 2, 3].map((seed) => edge.enqueue('text2image', { seed, prompt: `cat ${seed}` }));
    const poisoned = edge.enqueue('text2image', { seed: 4, prompt: 'poison' });
    void worker.start();
    await edge.waitFor(() =>
      [...good, poisoned].every((id) => ['succeeded', 'failed'].includes(edge.jobs.get(id)!.status)),
    );
    for (const id of good) expect(edge.jobs.get(id)!.status).toBe('succeeded');
    expect(edge.jobs.get(poisoned)!.error).toMatchObject({ code: 'invalid_image', retryable: false });
    expect(edge.jobs.get(poisoned)!.attempts).toBe(1);
    expect(generator.batches.map((b) => b.map((r) => r.params.seed))).toEqual([[1, 2, 3]]);
  });

  it('when a shared pass breaks, each job runs again alone: only the one that breaks again fails', async () => {
    const { edge, generator, worker } = await rig({ maxBatch: 4 });
    const good = [1, 2].map((seed) => edge.enqueue('text2image', { seed }));
    const crash = edge.enqueue('text2image', { seed: 3, prompt: 'crash' });
    void worker.start();
    await edge.waitFor(
      () => edge.jobs.get(crash)!.status === 'failed' && good.every((id) => edge.jobs.get(id)!.status === 'succeeded'),
    );
    expect(edge.jobs.get(crash)!.error).toMatchObject({ code: 'runner_error', retryable: true });
    for (const id of good) expect(edge.jobs.get(id)!.attempts).toBe(1);
    expect(generator.batches[0].map((r) => r.params.seed)).toEqual([1, 2, 3]);
    expect(generator.batches.slice(1, 4).map((b) => b.map((r) => r.params.seed))).toEqual([[1], [2], [3]]);
  });

  it('never puts a job with negative_prompt "" and one without in one pass (both succeed)', async () => {
    const { edge, generator, worker } = await rig({ maxBatch: 4 });
    const empty = edge.enqueue('text2image', { seed: 1, negative_prompt: '' });
    const none = edge.enqueue('text2image', { seed: 2 });
    void worker.start();
    await edge.waitFor(() => [empty, none].every((id) => edge.jobs.get(id)!.status === 'succeeded'));
    for (const batch of generator.batches) expect(batch).toHaveLength(1);
  });

  it('counts and reports each job once, even when shutdown releases it while its completion is in flight', async () => {
    const delayed = (client: EdgeApi): EdgeApi => ({
      lease: (...args) => client.lease(...args),
      heartbeat: (...args) => client.heartbeat(...args),
      fail: (...args) => client.fail(...args),
      release: (...args) => client.release(...args),
      complete: async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return client.complete(...args);
      },
    });
    const { edge, worker, metrics } = await rig({}, {}, 5, delayed);
    const id = edge.enqueue('text2image', { steps: 2 });
    const loop = worker.start();
    await edge.waitFor(() => edge.calls.some((call) => call.path.endsWith('/heartbeat')));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await worker.stop(10);
    await loop;
    const counted = ['succeeded', 'failed', 'cancelled', 'lost', 'released'].map((outcome) =>
      metrics.jobs.get({ task: 'text2image', outcome }),
    );
    expect(counted.reduce((a, b) => a + b, 0)).toBe(1);
    const reports = edge.calls.filter((call) => /\/(complete|release|fail)$/.test(call.path));
    expect(reports).toHaveLength(1);
    expect(edge.jobs.get(id)!.status).toBe('succeeded');
  });
});
