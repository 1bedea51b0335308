import {
  MASK_WITHOUT_ALPHA,
  mapRequestImages,
  maskAlphaProblem,
  maskSizeProblem,
  resolveGenerationRequest,
} from '@kandinsky/protocol';
import { readConfig } from '../config';
import type { IdempotencyAnswer } from '../durable/queue/idempotency';
import type { Env } from '../env';
import { ApiError } from '../errors/api-error';
import { randomUint32 } from '../lib/random';
import type { JobCreateRequest } from '../schemas/job-create';
import { bucketFromConfig } from '../storage/bucket-from-config';
import type { AuthenticatedKey } from '../types';
import { checkWebhookTarget } from '../webhooks/target-policy';
import { type InputImage, resolveInputImage } from './input-images';
import { makeJobId } from './job-id';
import { shardStub } from './shards';
import type { JobRecord } from './types';

/** Options of {@link createJob}. */
export interface CreateJobOptions {
  idempotencyKey: string | null;
  /** Hash of the request, so a reused idempotency key with a different request is refused. */
  requestHash: string;
  /** Uploaded multipart parts by name. */
  attachments: ReadonlyMap<string, Uint8Array>;
  /**
   * The name a refusal gives an image field of the input (`image`, `mask`, `inputs.2.image`); default `input.<field>`
   * as `POST /v1/jobs` names them. The OpenAI-compatible routes name their form fields instead.
   */
  paramName?: (field: string) => string;
}

interface PendingUpload {
  key: string;
  image: InputImage;
}

/**
 * Admits and enqueues a request the contract's schema accepted: resolves it into the runner's parameters (size
 * rounding, defaults, seed), checks the webhook target and every input image (the same structural check a runner
 * makes, and the mask's size against the image's), reserves the Idempotency-Key in its shard (so concurrent retries
 * meet one reservation), takes a slot of the key's running-jobs cap, uploads the inputs, then enqueues. Undoes the
 * slot and the reservation if anything after them fails, so a failed create leaks neither.
 */
export async function createJob(
  env: Env,
  apiKey: AuthenticatedKey,
  request: JobCreateRequest,
  options: CreateJobOptions,
): Promise<{ job: JobRecord; replayed: boolean }> {
  const config = readConfig(env);
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
  const uploads = new Map<string, PendingUpload>();
  const paramName = options.paramName ?? ((field: string) => `input.${field}`);
  const resolved = await mapRequestImages(
    resolveGenerationRequest(request, randomUint32),
    async (ref: string, param: string) => {
      const image = await resolveInputImage(ref, paramName(param), options.attachments);
      // image -> image.png, mask -> mask.png, inputs.2.image -> input-2.png
      const slot = param.startsWith('inputs.') ? `input-${param.split('.')[1]}` : param;
      const key = `${inputPrefix}${slot}.${image.format === 'jpeg' ? 'jpg' : image.format}`;
      uploads.set(param, { key, image });
      return key;
    },
  );
  if (resolved.task === 'inpaint') {
    const mask = uploads.get('mask')!.image;
    // An alpha mask (OpenAI's convention) must carry an alpha channel; refused in OpenAI's words.
    const alphaProblem = resolved.params.mask_source === 'alpha' ? maskAlphaProblem(mask.bytes) : null;
    if (alphaProblem) {
      throw new ApiError(400, alphaProblem, { param: paramName('mask'), code: MASK_WITHOUT_ALPHA.code });
    }
    const problem = maskSizeProblem(uploads.get('image')!.image, mask);
    if (problem) {
      throw new ApiError(400, `${paramName('mask')}: ${problem}.`, {
        param: paramName('mask'),
        code: 'mask_size_mismatch',
      });
    }
  }

  const shardObject = shardStub(env, shard);
  // The key is reserved before any admission or upload work: a retry is answered from here, and concurrent requests
  // with one key meet one reservation instead of racing each other into the running-jobs cap.
  if (options.idempotencyKey !== null) {
    const reservation = await shardObject.reserveIdempotencyKey(
      apiKey.tenant,
      options.idempotencyKey,
      options.requestHash,
      jobId,
    );
    if (reservation.kind !== 'reserved') return idempotentAnswer(reservation);
  }
  const releaseReservation = async () => {
    if (options.idempotencyKey !== null) {
      await shardObject.releaseIdempotencyKey(apiKey.tenant, options.idempotencyKey, jobId).catch(() => undefined);
    }
  };

  const keyObject = env.API_KEYS.get(env.API_KEYS.idFromString(apiKey.objectId));
  const admission = await keyObject.admitJob({ jobId, now: Date.now() });
  if (admission.kind === 'at_capacity') {
    await releaseReservation();
    throw new ApiError(429, `This key already has ${admission.running} of ${admission.max} allowed jobs in flight.`, {
      code: 'too_many_running_jobs',
      headers: { 'retry-after': '5' },
    });
  }

  try {
    if (uploads.size > 0) {
      const store = bucketFromConfig(config);
      await Promise.all([...uploads.values()].map(({ key, image }) => store.put(key, image.bytes, image.contentType)));
    }
    const outcome = await shardObject.enqueue(
      {
        id: jobId,
        tenant: apiKey.tenant,
        key_object_id: apiKey.objectId,
        task: resolved.task,
        params: resolved.params,
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
      // An earlier job holds this key (its reservation had expired): answer with it; this request created nothing.
      await keyObject.releaseJob(jobId);
      return idempotentAnswer(outcome);
    }
    return { job: outcome.job, replayed: false };
  } catch (err) {
    await keyObject.releaseJob(jobId);
    await releaseReservation();
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

function idempotentAnswer(found: IdempotencyAnswer): { job: JobRecord; replayed: true } {
  if (found.kind === 'idempotency_mismatch') {
    throw new ApiError(409, 'This Idempotency-Key was already used with a different request.', {
      param: 'Idempotency-Key',
      code: 'idempotency_key_reused',
    });
  }
  if (found.kind === 'in_progress') {
    throw new ApiError(409, 'A request with this Idempotency-Key is still being processed; retry shortly.', {
      param: 'Idempotency-Key',
      code: 'idempotency_request_in_progress',
      headers: { 'retry-after': '1' },
    });
  }
  return { job: found.job, replayed: true };
}
