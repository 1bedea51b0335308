import { previewKey } from '@kandinsky/protocol';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { readConfig } from '../config';
import { shardForJob } from '../jobs/shards';
import { isTerminal, type JobRecord } from '../jobs/types';
import { toBase64 } from '../lib/crypto';
import { bucketFromConfig } from '../storage/bucket-from-config';
import type { AppEnv } from '../types';
import { unfinishedJobError } from './image-response';

const KEEPALIVE_MS = 15_000;

/** OpenAI's token usage block; Kandinsky does not count tokens, so every count is 0. */
const NO_USAGE = {
  input_tokens: 0,
  input_tokens_details: { image_tokens: 0, text_tokens: 0 },
  output_tokens: 0,
  total_tokens: 0,
};

/**
 * OpenAI's streaming answer for an images job (`stream: true`), as Server-Sent Events: `<kind>.partial_image` for
 * each preview the job stores (`partial_image_index` counts the previews from 0; with n > 1 each preview step sends
 * one event per image, in order), then `<kind>.completed` for each final image, then the stream ends. `kind` is
 * `image_generation` or `image_edit`. Images travel as `b64_json`, as OpenAI sends them, whatever `response_format`
 * says. A job that fails, is cancelled or does not finish within `timeoutMs` ends the stream with `event: error` and
 * an OpenAI error body, which the official clients raise as an APIError.
 */
export function streamImageJob(
  c: Context<AppEnv>,
  job: JobRecord,
  tenant: string,
  options: { kind: 'image_generation' | 'image_edit'; timeoutMs: number },
): Response {
  const config = readConfig(c.env);
  const store = bucketFromConfig(config);
  const shard = shardForJob(c.env, job.id);
  const { width, height, output_format: format } = job.params;
  const common = {
    size: `${width}x${height}`,
    quality: 'auto',
    background: 'opaque',
    output_format: format,
  };
  const now = () => Math.floor(Date.now() / 1000);
  c.header('x-job-id', job.id);
  return streamSSE(c, async (stream) => {
    const deadline = Date.now() + options.timeoutMs;
    const sent = new Set<number>();
    let current: JobRecord | null = job;
    let partialIndex = 0;
    while (current && !stream.aborted) {
      for (const step of current.previews.filter((s) => !sent.has(s))) {
        sent.add(step);
        for (let i = 0; i < current.params.n; i++) {
          const bytes = await store.get(previewKey(current.output_prefix, step, i, format));
          const type = `${options.kind}.partial_image`;
          const data = {
            type,
            b64_json: toBase64(bytes),
            created_at: now(),
            ...common,
            partial_image_index: partialIndex,
          };
          await stream.writeSSE({ event: type, data: JSON.stringify(data) });
        }
        partialIndex++;
      }
      if (current.status === 'succeeded' && current.result) {
        for (const image of current.result.images) {
          const type = `${options.kind}.completed`;
          const bytes = await store.get(image.key);
          const data = { type, b64_json: toBase64(bytes), created_at: now(), ...common, usage: NO_USAGE };
          await stream.writeSSE({ event: type, data: JSON.stringify(data) });
        }
        return;
      }
      const remaining = deadline - Date.now();
      if (isTerminal(current.status) || remaining <= 0) {
        const error = unfinishedJobError(current)!;
        await stream.writeSSE({ event: 'error', data: JSON.stringify(error.toJSON()) });
        return;
      }
      const version = current.version;
      current = await shard.watch(current.id, tenant, version, Math.min(remaining, KEEPALIVE_MS));
      if (current && current.version === version) await stream.write(': keep-alive\n\n');
    }
  });
}
