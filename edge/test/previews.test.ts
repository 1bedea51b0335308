import { previewKey } from '@kandinsky/protocol';
import { describe, expect, it } from 'vitest';
import { completeWithPngs, type Leased, lease, testStore } from './fake-runner';
import { call, callJson, createKey, expectError, runnerCall, tinyPng } from './helpers';
import { sseReader } from './sse';

interface PreviewJob {
  id: string;
  status: string;
  input: { preview_steps?: number[] };
  progress: Record<string, unknown> | null;
  previews: number[];
  preview: { step: number; images: { url: string; width: number; content_type: string }[] } | null;
}

/** What a runner does with a preview: store its images under the job's prefix, then report the steps so far. */
async function storePreview(leased: Leased, step: number, previews: number[]): Promise<Uint8Array> {
  const png = await tinyPng(64, 64);
  for (let i = 0; i < leased.job.params.n; i++) {
    await testStore().put(previewKey(leased.job.output.prefix, step, i, 'png'), png, 'image/png');
  }
  const beat = await runnerCall(`/v1/runner/jobs/${leased.job.id}/heartbeat`, {
    lease_id: leased.lease.id,
    progress: { stage: 'decoder', step, total_steps: 6, previews },
  });
  expect(beat.status).toBe(200);
  return png;
}

describe('previews (preview_every)', () => {
  it('resolves into preview steps, shows the latest behind signed URLs, streams each once, and keeps them', async () => {
    const key = await createKey();
    const created = await (
      await callJson('/v1/jobs', key.key, {
        task: 'text2image',
        input: { prompt: 'a lighthouse', size: '64x64', steps: 6, preview_every: 2, n: 2 },
      })
    ).json<PreviewJob>();
    expect(created.input.preview_steps).toEqual([2, 4]);
    expect([created.previews, created.preview]).toEqual([[], null]);
    const events = sseReader(await callJson(`/v1/jobs/${created.id}/events`, key.key));
    const leased = (await lease()) as Leased;
    expect(leased.job.params.preview_steps).toEqual([2, 4]);

    const png = await storePreview(leased, 2, [2]);
    const running = await (await callJson(`/v1/jobs/${created.id}`, key.key)).json<PreviewJob>();
    expect(running.previews).toEqual([2]);
    expect(running.progress).toEqual({ stage: 'decoder', step: 2, total_steps: 6 });
    expect(running.preview?.step).toBe(2);
    expect(running.preview?.images).toHaveLength(2);
    const fetched = await fetch(running.preview!.images[1].url);
    expect(fetched.status).toBe(200);
    expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(png);

    // The stream sends the preview before the job event that reports it.
    const preview = await events.next((e) => e.event === 'preview');
    expect(JSON.parse(preview.data)).toMatchObject({ id: created.id, step: 2 });
    const after = await events.next((e) => e.event === 'job' && JSON.parse(e.data).previews.length > 0);
    expect(events.seen.indexOf(preview)).toBeLessThan(events.seen.indexOf(after));

    // Steps the job did not ask for are ignored; a finished job keeps its previews.
    await storePreview(leased, 4, [2, 4, 5]);
    await completeWithPngs(leased);
    const done = await (await callJson(`/v1/jobs/${created.id}`, key.key)).json<PreviewJob>();
    expect([done.status, done.previews, done.preview?.step]).toEqual(['succeeded', [2, 4], 4]);
    await events.next((e) => e.event === 'done');
    const streamed = events.seen.filter((e) => e.event === 'preview').map((e) => JSON.parse(e.data).step);
    expect(streamed).toEqual([2, 4]);
  });

  it('refuses preview requests the contract refuses, and runner reports past the limits', async () => {
    const key = await createKey();
    const both = await callJson('/v1/jobs', key.key, {
      task: 'text2image',
      input: { prompt: 'x', preview_every: 2, partial_images: 1 },
    });
    expect((await expectError(both, 400)).param).toBe('input.preview_every');
    const tooMany = await callJson('/v1/jobs', key.key, {
      task: 'text2image',
      input: { prompt: 'x', steps: 100, preview_every: 1 },
    });
    expect(await expectError(tooMany, 400)).toMatchObject({ param: 'input.preview_every', code: 'invalid_value' });
    await callJson('/v1/jobs', key.key, { task: 'text2image', input: { prompt: 'x', steps: 4, preview_every: 1 } });
    const leased = (await lease()) as Leased;
    const bad = await runnerCall(`/v1/runner/jobs/${leased.job.id}/heartbeat`, {
      lease_id: leased.lease.id,
      progress: { stage: 'decoder', step: 1, total_steps: 4, previews: [0] },
    });
    await expectError(bad, 400);
    await call(`/v1/jobs/${leased.job.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key.key}` } });
  });
});
