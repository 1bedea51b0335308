/**
 * Gateway benchmark: starts `wrangler dev` on 127.0.0.1 (local workerd, real Durable Objects with SQLite storage),
 * creates an API key, then measures create, status and create+status with the rate limiter and queue in the path, what
 * a queued job's status fields (its position in the shard's queue and the estimated start) add to a status request,
 * and signed runner calls (HMAC + replay guard + one queue shard).
 * Prints one JSON line per scenario. Traffic is bounded in count and only goes to 127.0.0.1.
 *
 * Usage: npm run bench -w edge [-- --requests 2000 --concurrency 16 --keys 1 --shards 8 --runtime miniflare|wrangler --persist disk|memory --only all|runner]
 *   miniflare (default): the deploy bundle served by Miniflare/workerd directly;
 *   wrangler: `wrangler dev`, which adds its own local proxy hop in front of the Worker.
 */

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { startMiniflareGateway, startWranglerDev } from './local-gateway';

const argValue = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const REQUESTS = argValue('requests', 2000);
const CONCURRENCY = argValue('concurrency', 16);
const argText = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : fallback;
};
const RUNTIME = argText('runtime', 'miniflare');
const KEYS = argValue('keys', 1);
const SHARDS = argValue('shards', 8);
const PERSIST = argText('persist', 'disk') === 'memory' ? 'memory' : 'disk';
/** `all` (default), or `runner` for the signed runner calls alone. */
const ONLY = argText('only', 'all');
const ADMIN_TOKEN = 'bench-admin-token';
const RUNNER_SECRET = 'bench-runner-secret';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `count` operations with at most `concurrency` in flight; returns per-operation latencies (ms). */
async function drive(count: number, concurrency: number, operation: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        try {
          await operation(i);
        } catch (err) {
          errors++;
          if (errors <= 3) console.error(String(err));
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { latencies, seconds, errors };
}

function report(
  name: string,
  run: Awaited<ReturnType<typeof drive>>,
  requestsPerOp: number,
  extra: Record<string, unknown> = {},
) {
  const { latencies, seconds, errors } = run;
  const round = (value: number) => Math.round(value * 100) / 100;
  console.log(
    JSON.stringify({
      name,
      operations: latencies.length,
      requests_per_operation: requestsPerOp,
      concurrency: CONCURRENCY,
      api_keys: KEYS,
      queue_shards: SHARDS,
      runtime: RUNTIME,
      persist: RUNTIME === 'wrangler' ? 'disk' : PERSIST,
      requests_per_s: round((latencies.length * requestsPerOp) / seconds),
      p50_ms: round(percentile(latencies, 50)),
      p90_ms: round(percentile(latencies, 90)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(latencies[latencies.length - 1]),
      errors,
      // Context for reading the figures: the machine's 1-minute load average and core count during the run.
      load_average_1m: round(loadavg()[0]),
      cores: cpus().length,
      ...extra,
    }),
  );
}

async function main() {
  const vars = { ADMIN_TOKEN, RUNNER_SECRET, QUEUE_CAP: '1000000', QUEUE_SHARDS: String(SHARDS) };
  const gateway = RUNTIME === 'wrangler' ? await startWranglerDev(vars) : await startMiniflareGateway(vars, PERSIST);
  try {
    const keys: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const keyResponse = await fetch(`${gateway.baseUrl}/v1/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `bench-${i}`,
          tenant: 'bench',
          limits: { requests_per_minute: 1_000_000, max_running_jobs: 10_000 },
        }),
      });
      if (keyResponse.status !== 201) throw new Error(`key creation failed: ${keyResponse.status}`);
      keys.push(((await keyResponse.json()) as { key: string }).key);
    }
    let turn = 0;
    // Requests rotate over the keys (one tenant), as traffic from several clients would.
    const auth = () => ({ authorization: `Bearer ${keys[turn++ % keys.length]}` });
    const body = JSON.stringify({ task: 'text2image', input: { prompt: 'a lighthouse at dusk', steps: 30 } });
    const expect = async (response: Response, status: number) => {
      const text = await response.text();
      if (response.status !== status)
        throw new Error(`expected ${status}, got ${response.status}: ${text.slice(0, 200)}`);
      return text;
    };
    const create = async () =>
      JSON.parse(
        await expect(
          await fetch(`${gateway.baseUrl}/v1/jobs`, {
            method: 'POST',
            headers: { ...auth(), 'content-type': 'application/json' },
            body,
          }),
          202,
        ),
      ).id as string;
    const status = async (id: string) => {
      await expect(await fetch(`${gateway.baseUrl}/v1/jobs/${id}`, { headers: auth() }), 200);
    };

    const latencyCount = Math.min(500, REQUESTS / 2);
    if (ONLY !== 'runner') await publicApiScenarios();
    async function publicApiScenarios() {
      // Warm-up: JIT, Durable Object instantiation on every shard, connection pool.
      await drive(300, CONCURRENCY, async () => status(await create()));

      const baseline = await drive(REQUESTS, CONCURRENCY, async () => {
        await expect(await fetch(`${gateway.baseUrl}/healthz`), 200);
      });
      report('baseline_healthz', baseline, 1, { note: 'no auth, no Durable Objects: the local HTTP + workerd floor' });

      const ids: string[] = [];
      const creates = await drive(REQUESTS, CONCURRENCY, async () => {
        ids.push(await create());
      });
      report('create', creates, 1);
      const statuses = await drive(REQUESTS, CONCURRENCY, async (i) => status(ids[i % ids.length]));
      report('status', statuses, 1);
      const pairs = await drive(REQUESTS / 2, CONCURRENCY, async () => status(await create()));
      report('create_plus_status', pairs, 2);

      // Added latency: one request at a time (no queueing in the client or the runtime), gateway pair minus the floor of
      // two bare requests to the same workerd.
      const floor = await drive(latencyCount, 1, async () => {
        await expect(await fetch(`${gateway.baseUrl}/healthz`), 200);
      });
      const serial = await drive(latencyCount, 1, async () => status(await create()));
      const added = (p: number) =>
        Math.round((percentile(serial.latencies, p) - 2 * percentile(floor.latencies, p)) * 100) / 100;
      report('create_plus_status_serial', serial, 2, {
        concurrency: 1,
        floor_healthz_p50_ms: Math.round(percentile(floor.latencies, 50) * 100) / 100,
        floor_healthz_p99_ms: Math.round(percentile(floor.latencies, 99) * 100) / 100,
        added_p50_ms: added(50),
        added_p99_ms: added(99),
      });
      await statusFieldCost(ids);
    }

    /**
     * The cost of a queued job's status fields: the same jobs read one at a time while queued (the shard counts the
     * queued jobs ahead of each and reads its drain measurement) and again once cancelled (no queue fields), so the
     * difference is what `queue` adds. The jobs are the newest of the queue: the deepest positions, the most to count.
     */
    async function statusFieldCost(ids: string[]) {
      const sample = ids.slice(-latencyCount);
      const positions: number[] = [];
      const read = async (id: string, record = false) => {
        const text = await expect(await fetch(`${gateway.baseUrl}/v1/jobs/${id}`, { headers: auth() }), 200);
        if (record) positions.push((JSON.parse(text) as { queue: { position: number } }).queue.position);
      };
      const queued = await drive(sample.length, 1, (i) => read(sample[i], true));
      for (const id of sample) {
        await expect(await fetch(`${gateway.baseUrl}/v1/jobs/${id}/cancel`, { method: 'POST', headers: auth() }), 200);
      }
      const cancelled = await drive(sample.length, 1, (i) => read(sample[i]));
      positions.sort((a, b) => a - b);
      const delta = (p: number) =>
        Math.round((percentile(queued.latencies, p) - percentile(cancelled.latencies, p)) * 100) / 100;
      report('status_queued_serial', queued, 1, {
        concurrency: 1,
        queue_position_p50: percentile(positions, 50),
        queue_position_max: positions[positions.length - 1],
        without_queue_fields_p50_ms: Math.round(percentile(cancelled.latencies, 50) * 100) / 100,
        without_queue_fields_p99_ms: Math.round(percentile(cancelled.latencies, 99) * 100) / 100,
        queue_fields_added_p50_ms: delta(50),
        queue_fields_added_p99_ms: delta(99),
      });
    }

    // Runner auth on every runner call (docs/runner-protocol.md): a signed heartbeat for a job that does not exist is
    // verified (HMAC, nonce recorded in the runner's RunnerReplayGuard object) and then answered 404 by one queue shard.
    let runnerTurn = 0;
    // Concurrent calls come from 16 runners (one guard object each), as a fleet would send them; serial ones from one.
    const runnerCall = async (runnerId = `bench-runner-${runnerTurn++ % 16}`) => {
      const path = '/v1/runner/jobs/job_00benchbenchbenchbenchbe/heartbeat';
      const raw = JSON.stringify({ lease_id: 'lease_bench' });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = randomBytes(16).toString('hex');
      // docs/runner-protocol.md v2 (Node's crypto: the bench is typed for Node, not Workers).
      const bodyHash = createHash('sha256').update(raw).digest('hex');
      const canonical = ['v2', timestamp, nonce, runnerId, 'POST', path, bodyHash].join('\n');
      const signature = `v2=${createHmac('sha256', RUNNER_SECRET).update(canonical).digest('hex')}`;
      const headers = {
        'content-type': 'application/json',
        'x-runner-id': runnerId,
        'x-runner-timestamp': timestamp,
        'x-runner-nonce': nonce,
        'x-runner-signature': signature,
      };
      await expect(await fetch(`${gateway.baseUrl}${path}`, { method: 'POST', headers, body: raw }), 404);
    };
    await drive(100, CONCURRENCY, () => runnerCall());
    report('runner_signed_call', await drive(REQUESTS, CONCURRENCY, () => runnerCall()), 1, { runners: 16 });
    const runnerFloor = await drive(latencyCount, 1, async () => {
      await expect(await fetch(`${gateway.baseUrl}/healthz`), 200);
    });
    const runnerSerial = await drive(latencyCount, 1, () => runnerCall('bench-runner-serial'));
    report('runner_signed_call_serial', runnerSerial, 1, {
      concurrency: 1,
      floor_healthz_p50_ms: Math.round(percentile(runnerFloor.latencies, 50) * 100) / 100,
      added_p50_ms:
        Math.round((percentile(runnerSerial.latencies, 50) - percentile(runnerFloor.latencies, 50)) * 100) / 100,
      added_p99_ms:
        Math.round((percentile(runnerSerial.latencies, 99) - percentile(runnerFloor.latencies, 99)) * 100) / 100,
    });
  } finally {
    await gateway.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
