import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { readConfig } from '../config';
import { optionalBucket } from '../storage/bucket-from-config';
import type { AppEnv } from '../types';
import { presentJob, presentPreview } from './present-job';
import type { shardForJob } from './shards';
import { isTerminal, type JobRecord } from './types';

const SSE_KEEPALIVE_MS = 15_000;

/** The part of a queued job's place a client sees change. */
const placeKey = (job: JobRecord) =>
  job.queue ? `${job.queue.position}:${job.queue.estimatedStartAt}:${job.queue.startIntervalMs}` : '';

/**
 * The native progress stream of `GET /v1/jobs/:id/events`: `event: job` with the whole job (id: its version) on every
 * change; `event: queue` with `{ id, queue }` when a queued job's place moves (jobs ahead started or left) without the
 * job itself changing; `event: preview` with `{ id, step, images }` (signed URLs) once for every stored preview, in
 * step order and before the job event that reports it; `event: done` last; comments as keep-alives.
 */
export function streamJobEvents(
  c: Context<AppEnv>,
  shard: ReturnType<typeof shardForJob>,
  first: JobRecord,
  tenant: string,
): Response {
  const config = readConfig(c.env);
  const store = optionalBucket(config);
  return streamSSE(c, async (stream) => {
    let job: JobRecord | null = first;
    let sentVersion = 0;
    let sentPlace = '';
    const sentPreviews = new Set<number>();
    while (job && !stream.aborted) {
      let wrote = false;
      if (store) {
        for (const step of job.previews.filter((s) => !sentPreviews.has(s))) {
          sentPreviews.add(step);
          const preview = await presentPreview(job, step, store, config.resultUrlTtlSeconds);
          await stream.writeSSE({ event: 'preview', data: JSON.stringify({ id: job.id, ...preview }) });
          wrote = true;
        }
      }
      if (job.version > sentVersion) {
        sentVersion = job.version;
        sentPlace = placeKey(job);
        await stream.writeSSE({
          event: 'job',
          id: String(job.version),
          data: JSON.stringify(await presentJob(job, store, config.resultUrlTtlSeconds)),
        });
        if (isTerminal(job.status)) {
          await stream.writeSSE({ event: 'done', data: JSON.stringify({ id: job.id, status: job.status }) });
          break;
        }
        wrote = true;
      } else if (placeKey(job) !== sentPlace) {
        sentPlace = placeKey(job);
        const { queue } = await presentJob(job, null, config.resultUrlTtlSeconds);
        await stream.writeSSE({ event: 'queue', data: JSON.stringify({ id: job.id, queue }) });
        wrote = true;
      }
      if (!wrote) await stream.write(': keep-alive\n\n');
      job = await shard.watch(job.id, tenant, sentVersion, SSE_KEEPALIVE_MS);
    }
  });
}
