/**
 * Load test on loopback, bounded in count and time: the whole stack (S3 on disk, edge under wrangler dev, two runners
 * on the random-weight model unless KANDINSKY_WEIGHTS is set), many clients submitting at once. Prints JSON lines:
 * throughput and latency figures, and the invariants: every accepted job finished or failed visibly, none twice (one
 * completion and one set of result objects per job), and both rate limits (requests per minute, jobs in flight) held.
 * Exits 1 when an invariant is broken. Knobs: LOAD_CLIENTS (default 24), LOAD_RUNNERS (2), LOAD_TIMEOUT_S (300),
 * LOAD_MAX_BATCH (the runners' RUNNER_MAX_BATCH, 4).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startStack } from '../../infra/local/stack.js';
import { createS3Client } from '../src/service/s3-client.js';
import { report } from './util.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 24);
const RUNNERS = Number(process.env.LOAD_RUNNERS ?? 2);
const TIMEOUT_MS = Number(process.env.LOAD_TIMEOUT_S ?? 300) * 1000;
const MAX_BATCH = process.env.LOAD_MAX_BATCH ?? '4';
const INPUT = { prompt: 'load test', size: '64x64', steps: 2, prior_steps: 2 };

interface Submission {
  status: number;
  id?: string;
  sentAt: number;
}

interface Finished {
  id: string;
  status: string;
  attempts: number;
  images: number;
  createdAt: number;
  doneAt: number;
}

async function submit(edgeUrl: string, key: string, body: unknown): Promise<Submission> {
  const sentAt = Date.now();
  const res = await fetch(`${edgeUrl}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { id?: string };
  return { status: res.status, id: json.id, sentAt };
}

async function waitTerminal(edgeUrl: string, key: string, id: string, deadline: number): Promise<Finished> {
  for (;;) {
    const res = await fetch(`${edgeUrl}/v1/jobs/${id}`, {
      headers: { authorization: `Bearer ${key}`, prefer: 'wait=20' },
    });
    if (res.status === 429) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    const job = (await res.json()) as {
      status: string;
      attempts: number;
      output: { images: unknown[] } | null;
      created_at: number;
    };
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) {
      return {
        id,
        status: job.status,
        attempts: job.attempts,
        images: job.output?.images.length ?? 0,
        createdAt: job.created_at * 1000,
        doneAt: Date.now(),
      };
    }
    if (Date.now() > deadline)
      return {
        id,
        status: `stuck:${job.status}`,
        attempts: job.attempts,
        images: 0,
        createdAt: job.created_at * 1000,
        doneAt: Date.now(),
      };
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null;
};

async function main(): Promise<number> {
  const stateDir = await mkdtemp(join(tmpdir(), 'kd-load-'));
  const t0 = Date.now();
  const stack = await startStack({
    root: ROOT,
    stateDir,
    modelCacheDir: join(ROOT, '.local'),
    runners: RUNNERS,
    runnerEnv: { LEASE_WAIT_MS: '2000', LOG_LEVEL: 'warn', RUNNER_MAX_BATCH: MAX_BATCH },
    keyLimits: { requests_per_minute: 100_000, max_running_jobs: CLIENTS },
  });
  const problems: string[] = [];
  try {
    report({
      bench: 'load',
      phase: 'stack_up',
      seconds: (Date.now() - t0) / 1000,
      runners: RUNNERS,
      model: stack.model.kind,
    });
    const deadline = Date.now() + TIMEOUT_MS;

    // 1. Throughput: CLIENTS clients submit one job each at the same moment.
    const burstStart = Date.now();
    const subs = await Promise.all(
      Array.from({ length: CLIENTS }, () => submit(stack.edgeUrl, stack.apiKey, { task: 'text2image', input: INPUT })),
    );
    const accepted = subs.filter((s) => s.status === 202 || s.status === 200);
    const finished = await Promise.all(accepted.map((s) => waitTerminal(stack.edgeUrl, stack.apiKey, s.id!, deadline)));
    const wall = (Date.now() - burstStart) / 1000;
    const latencies = finished.map((f) => (f.doneAt - f.createdAt) / 1000);

    // Invariants: terminal, visible, once.
    const s3 = createS3Client({ ...stack.s3, region: 'us-east-1' });
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: 'results/', ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    let duplicateObjects = 0;
    for (const f of finished) {
      if (f.status.startsWith('stuck')) problems.push(`job ${f.id} never finished (${f.status})`);
      const mine = keys.filter((k) => k.includes(`/${f.id}/`)).length;
      if (f.status === 'succeeded' && mine !== 1) {
        duplicateObjects++;
        problems.push(`job ${f.id} has ${mine} result objects, expected 1`);
      }
    }
    s3.destroy();
    let runnerCompletions = 0;
    let batches = 0;
    let batchedJobs = 0;
    for (const r of stack.runners) {
      const text = await (await fetch(`${r.healthUrl}/metrics`)).text();
      batches += Number(/^kandinsky_runner_batch_jobs_count (\d+)/m.exec(text)?.[1] ?? 0);
      batchedJobs += Number(/^kandinsky_runner_batch_jobs_sum (\d+)/m.exec(text)?.[1] ?? 0);
      for (const m of text.matchAll(/kandinsky_runner_jobs_total\{outcome="succeeded",task="[a-z0-9]+"\} (\d+)/g))
        runnerCompletions += Number(m[1]);
    }
    const succeeded = finished.filter((f) => f.status === 'succeeded').length;
    if (runnerCompletions !== succeeded)
      problems.push(`runners completed ${runnerCompletions} jobs but ${succeeded} succeeded (a job done twice?)`);
    report({
      bench: 'load',
      phase: 'throughput',
      clients: CLIENTS,
      runners: RUNNERS,
      max_batch: Number(MAX_BATCH),
      accepted: accepted.length,
      rejected: subs.length - accepted.length,
      succeeded,
      failed: finished.filter((f) => f.status === 'failed').length,
      stuck: finished.filter((f) => f.status.startsWith('stuck')).length,
      retried: finished.filter((f) => f.attempts > 1).length,
      runner_completions: runnerCompletions,
      batches,
      mean_batch_jobs: batches ? batchedJobs / batches : null,
      duplicate_result_sets: duplicateObjects,
      wall_seconds: wall,
      jobs_per_second: succeeded / wall,
      latency_p50_s: quantile(latencies, 0.5),
      latency_p95_s: quantile(latencies, 0.95),
      latency_max_s: quantile(latencies, 1),
    });

    // 2. Request rate: a key allowed 10 requests per minute gets a burst of 30.
    const rateKey = await stack.createKey({ requests_per_minute: 10, max_running_jobs: 100 });
    const rateStart = Date.now();
    const rateSubs = await Promise.all(
      Array.from({ length: 30 }, () => submit(stack.edgeUrl, rateKey, { task: 'text2image', input: INPUT })),
    );
    const rateSeconds = (Date.now() - rateStart) / 1000;
    const rateAccepted = rateSubs.filter((s) => s.status === 202 || s.status === 200).length;
    const rateAllowed = 10 + Math.ceil((rateSeconds * 10) / 60);
    if (rateAccepted > rateAllowed)
      problems.push(`rate limit broken: ${rateAccepted} accepted, at most ${rateAllowed} allowed`);
    if (rateSubs.some((s) => ![200, 202, 429].includes(s.status)))
      problems.push('rate-limited burst got answers other than 202/429');
    report({
      bench: 'load',
      phase: 'rate_limit',
      limit_per_minute: 10,
      burst: 30,
      accepted: rateAccepted,
      rejected_429: rateSubs.filter((s) => s.status === 429).length,
      allowed_at_most: rateAllowed,
      seconds: rateSeconds,
    });

    // 3. Jobs in flight: a key allowed 3 running jobs gets a burst of 12 long jobs.
    const concKey = await stack.createKey({ requests_per_minute: 1000, max_running_jobs: 3 });
    const concSubs = await Promise.all(
      Array.from({ length: 12 }, () =>
        submit(stack.edgeUrl, concKey, { task: 'text2image', input: { ...INPUT, steps: 40 } }),
      ),
    );
    const concAccepted = concSubs.filter((s) => s.status === 202 || s.status === 200);
    const concFinished = await Promise.all(
      concAccepted.map((s) => waitTerminal(stack.edgeUrl, concKey, s.id!, deadline)),
    );
    const burstEnd = Math.max(...concSubs.map((s) => s.sentAt)) + 1000;
    const doneDuringBurst = concFinished.filter((f) => f.doneAt < burstEnd).length;
    if (concAccepted.length > 3 + doneDuringBurst)
      problems.push(`in-flight limit broken: ${concAccepted.length} accepted with a limit of 3`);
    report({
      bench: 'load',
      phase: 'in_flight_limit',
      limit: 3,
      burst: 12,
      accepted: concAccepted.length,
      rejected_429: concSubs.filter((s) => s.status === 429).length,
      all_finished: concFinished.every((f) => f.status === 'succeeded'),
    });

    report({ bench: 'load', phase: 'invariants', ok: problems.length === 0, problems });
    return problems.length ? 1 : 0;
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    report({ bench: 'load', error: String((err as Error).stack ?? err) });
    process.exit(1);
  },
);
