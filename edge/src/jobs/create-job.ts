import { readConfig } from '../config';
import type { Env } from '../env';
import { ApiError } from '../errors/api-error';
import { randomUint32 } from '../lib/random';
import { resolveSize } from '../schemas/generation';
import type { JobCreateRequest } from '../schemas/job-create';
import { storeFromConfig } from '../storage/store-from-config';
import type { AuthenticatedKey } from '../types';
import { checkWebhookTarget } from '../webhooks/target-policy';
import { type InputImage, resolveInputImage } from './input-images';
import { makeJobId } from './job-id';
import { shardStub } from './shards';
import type { FuseInput, JobRecord, RunnerParams } from './types';

/** Options of {@link createJob}. */
export interface CreateJobOptions {
  idempotencyKey: string | null;
  /** Hash of the request, so a reused idempotency key with a different request is refused. */
  requestHash: string;
  /** Uploaded multipart parts by name. */
  attachments: ReadonlyMap<string, Uint8Array>;
}

interface PendingUpload {
  slot: string;
  image: InputImage;
}

/**
 * Validates, admits and enqueues a job: size rounding, webhook policy, input image checks, idempotency (kept with the
 * job in its shard, so the check and the insert are atomic), the key's running-jobs cap, input upload to the bucket,
 * then the queue shard. Undoes the admission if anything after it fails, so a failed create leaks no running slot.
 */
export async function createJob(
  env: Env,
  apiKey: AuthenticatedKey,
  request: JobCreateRequest,
  options: CreateJobOptions,
): Promise<{ job: JobRecord; replayed: boolean }> {
  const config = readConfig(env);
  const input = request.input;
  const size = resolveSize(input);
  if ('error' in size) throw new ApiError(400, size.error, { param: `input.${size.param}`, code: 'invalid_size' });
  if (request.webhook_url !== undefined) {
    const problem = checkWebhookTarget(request.webhook_url, {
      allowPrivate: config.allowPrivateWebhooks,
      requireHttps: config.environment === 'production',
    });
    if (problem) throw new ApiError(400, problem.message, { param: 'webhook_url', code: problem.code });
  }

  const shard = await chooseShard(apiKey.tenant, options.idempotencyKey, config.queueShards);
  const jobId = makeJobId(shard);
  const inputPrefix = `inputs/${apiKey.tenant}/${jobId}/`;
  const uploads: PendingUpload[] = [];
  const keyFor = (slot: string, image: InputImage) =>
    `${inputPrefix}${slot}.${image.format === 'jpeg' ? 'jpg' : image.format}`;
  const take = async (ref: string, param: string, slot: string): Promise<string> => {
    const image = await resolveInputImage(ref, param, options.attachments);
    uploads.push({ slot, image });
    return keyFor(slot, image);
  };

  const params: RunnerParams = {
    negative_prompt: input.negative_prompt,
    n: input.n,
    width: size.width,
    height: size.height,
    seed: input.seed ?? randomUint32(),
    steps: input.steps,
    guidance_scale: input.guidance_scale,
    prior_steps: input.prior_steps,
    prior_guidance_scale: input.prior_guidance_scale,
    scheduler: input.scheduler,
    output_format: input.output_format,
  };
  if ('prompt' in input && input.prompt !== undefined) params.prompt = input.prompt;
  if (request.task === 'img2img') params.strength = request.input.strength;
  if ('image' in input) params.image = await take(input.image, 'input.image', 'image');
  if ('mask' in input) {
    params.mask = await take(input.mask, 'input.mask', 'mask');
    const [image, mask] = uploads.map((upload) => upload.image);
    if (image.width !== mask.width || image.height !== mask.height) {
      throw new ApiError(400, 'input.mask must have the same size as input.image.', {
        param: 'input.mask',
        code: 'mask_size_mismatch',
      });
    }
  }
  if (request.task === 'fuse') {
    const inputs: FuseInput[] = [];
    // One at a time, in order: the first bad image is the one reported.
    for (const [index, item] of request.input.inputs.entries()) {
      inputs.push(
        item.type === 'text'
          ? item
          : {
              type: 'image',
              weight: item.weight,
              image: await take(item.image, `input.inputs.${index}.image`, `input-${index}`),
            },
      );
    }
    params.inputs = inputs;
  }

  const shardObject = shardStub(env, shard);
  // A retry with a known Idempotency-Key is answered before any admission or upload work.
  if (options.idempotencyKey !== null) {
    const existing = await shardObject.findIdempotent(apiKey.tenant, options.idempotencyKey, options.requestHash);
    if (existing) return idempotentAnswer(existing);
  }

  const keyObject = env.API_KEYS.get(env.API_KEYS.idFromString(apiKey.objectId));
  const admission = await keyObject.admitJob({ jobId, now: Date.now() });
  if (admission.kind === 'at_capacity') {
    throw new ApiError(429, `This key already has ${admission.running} of ${admission.max} allowed jobs in flight.`, {
      code: 'too_many_running_jobs',
      headers: { 'retry-after': '5' },
    });
  }

  try {
    if (uploads.length > 0) {
      const store = storeFromConfig(config);
      await Promise.all(
        uploads.map(({ slot, image }) => store.put(keyFor(slot, image), image.bytes, image.contentType)),
      );
    }
    const outcome = await shardObject.enqueue(
      {
        id: jobId,
        tenant: apiKey.tenant,
        key_object_id: apiKey.objectId,
        task: request.task,
        params,
        output_prefix: `results/${apiKey.tenant}/${jobId}/`,
        max_attempts: config.maxAttempts,
        webhook_url: request.webhook_url ?? null,
        webhook_secret: request.webhook_url ? apiKey.webhookSecret : null,
        user: request.user ?? null,
        idempotency_key: options.idempotencyKey,
        request_hash: options.idempotencyKey === null ? null : options.requestHash,
      },
      Math.ceil(config.queueCap / config.queueShards),
    );
    if (outcome.kind === 'full') {
      throw new ApiError(503, 'The job queue is full; retry later.', {
        code: 'queue_full',
        headers: { 'retry-after': '10' },
      });
    }
    if (outcome.kind !== 'queued') {
      // A concurrent request with the same key won the race; this one did not create a job.
      await keyObject.abortJob(jobId);
      return idempotentAnswer(outcome);
    }
    return { job: outcome.job, replayed: false };
  } catch (err) {
    await keyObject.abortJob(jobId);
    throw err;
  }
}

/** Shard for a create: chosen from (tenant, Idempotency-Key) when there is one, so retries meet their original. */
async function chooseShard(tenant: string, idempotencyKey: string | null, shards: number): Promise<number> {
  if (idempotencyKey === null) return Math.floor(Math.random() * shards);
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${tenant}\n${idempotencyKey}`)),
  );
  return new DataView(digest.buffer).getUint32(0) % shards;
}

function idempotentAnswer(found: { kind: 'replay' | 'idempotency_mismatch'; job: JobRecord }): {
  job: JobRecord;
  replayed: true;
} {
  if (found.kind === 'idempotency_mismatch') {
    throw new ApiError(409, 'This Idempotency-Key was already used with a different request.', {
      param: 'Idempotency-Key',
      code: 'idempotency_key_reused',
    });
  }
  return { job: found.job, replayed: true };
}
