import { describe, expect, it } from 'vitest';
import { call, createKey, runnerCall } from './helpers';

/** Deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function rng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const weird: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  -0.5,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  'x'.repeat(3000),
  '\u0000',
  '\ud800',
  [],
  {},
  [null],
  { __proto__: { a: 1 } },
  'attachment:',
  'data:image/png;base64,',
  '512x512x512',
];

function randomValue(next: () => number, depth = 0): unknown {
  const roll = next();
  if (depth > 2 || roll < 0.6) return weird[Math.floor(next() * weird.length)];
  if (roll < 0.8) return Array.from({ length: Math.floor(next() * 3) }, () => randomValue(next, depth + 1));
  const keys = [
    'task',
    'input',
    'prompt',
    'image',
    'mask',
    'inputs',
    'n',
    'size',
    'steps',
    'seed',
    'lease_id',
    'result',
    'images',
    'error',
    'retryable',
    'wait_ms',
    'tasks',
    'limits',
    'type',
    'weight',
    'webhook_url',
  ];
  return Object.fromEntries(
    Array.from({ length: Math.floor(next() * 4) }, () => [
      keys[Math.floor(next() * keys.length)],
      randomValue(next, depth + 1),
    ]),
  );
}

/** Mutates a valid body: replace one field (possibly nested) by a weird value. */
function mutate(body: Record<string, unknown>, next: () => number): unknown {
  const copy = structuredClone(body);
  const target =
    next() < 0.5 && copy.input && typeof copy.input === 'object' ? (copy.input as Record<string, unknown>) : copy;
  const keys = Object.keys(target);
  target[keys[Math.floor(next() * keys.length)] ?? 'x'] = randomValue(next);
  return copy;
}

describe('malformed requests never produce a 5xx', () => {
  it('fuzzes every body-taking route with mutated and random bodies (seeded)', async () => {
    // One job in flight and a cap of one: any body that passes validation is answered 429 at once instead of waiting
    // for a runner, while everything invalid is still checked before admission.
    const key = await createKey({ requests_per_minute: 100_000, max_running_jobs: 1 });
    const first = await call('/v1/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'text2image', input: { prompt: 'occupies the only slot' } }),
    });
    expect(first.status).toBe(202);
    const next = rng(20261126);
    const valid: Record<string, Record<string, unknown>> = {
      '/v1/jobs': { task: 'img2img', input: { prompt: 'p', image: 'AAAA', strength: 0.5, steps: 10, size: '512x512' } },
      '/v1/images/generations': { prompt: 'p', n: 1, size: '512x512', response_format: 'url' },
      '/v1/runner/lease': { wait_ms: 0, tasks: ['text2image'] },
      '/v1/runner/jobs/job_00AAAAAAAAAAAAAAAAAAAAAA/complete': {
        lease_id: 'l',
        result: { images: [{ key: 'k', width: 1, height: 1, content_type: 'image/png', seed: 1, bytes: 1 }] },
      },
      '/v1/runner/jobs/job_00AAAAAAAAAAAAAAAAAAAAAA/fail': {
        lease_id: 'l',
        error: { code: 'c', message: 'm' },
        retryable: true,
      },
      '/v1/admin/keys': { name: 'n', limits: { requests_per_minute: 1, max_running_jobs: 1 } },
    };
    const failures: string[] = [];
    for (const [path, body] of Object.entries(valid)) {
      for (let i = 0; i < 25; i++) {
        const payload = i % 5 === 4 ? randomValue(next) : mutate(body, next);
        const raw = i % 7 === 6 ? JSON.stringify(payload).slice(0, -1) : (JSON.stringify(payload) ?? 'null');
        const response = path.startsWith('/v1/runner')
          ? await runnerCall(path, undefined, { raw })
          : await call(path, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${path.startsWith('/v1/admin') ? 'test-admin-token' : key.key}`,
                'content-type': 'application/json',
              },
              body: raw,
            });
        const text = await response.text();
        if (response.status >= 500)
          failures.push(`${path} ${response.status} ${raw.slice(0, 120)} -> ${text.slice(0, 200)}`);
        else if (response.status >= 400 && !JSON.parse(text).error?.message)
          failures.push(`${path}: not the error shape: ${text}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
