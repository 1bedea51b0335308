import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { concatBytes, PNG_SIGNATURE, pngChunk } from '@kandinsky/protocol/image-bytes';
import OpenAI from 'openai';
import { ACTIVE_JOBS_PERSIST_INTERVAL_MS, type ApiKeyObject } from '../src/durable/api-key-object';
import { sha256Hex } from '../src/lib/crypto';
import { runnerSignature } from '../src/middleware/runner-auth';

/** Admin token configured in vitest.config.ts. */
export const ADMIN_TOKEN = 'test-admin-token';
/** Runner secret configured in vitest.config.ts. */
export const RUNNER_SECRET = 'test-runner-secret';
const BASE = 'http://gateway.test';

/** Sends a request to the Worker under test. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, init);
}

/** The official OpenAI client, pointed at the gateway; its requests go to the Worker under test. */
export function openAiClient(apiKey: string): OpenAI {
  return new OpenAI({
    apiKey,
    baseURL: 'http://gateway.test/v1',
    maxRetries: 0,
    fetch: (input, init) => SELF.fetch(input as string, init as RequestInit),
  });
}

/** A created API key. */
export interface TestKey {
  id: string;
  key: string;
  tenant: string;
  webhook_secret: string;
}

/** Creates an API key through the admin API. */
export async function createKey(
  limits: { requests_per_minute?: number; max_running_jobs?: number } = {},
): Promise<TestKey> {
  const response = await call('/v1/admin/keys', {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ limits: { requests_per_minute: 10_000, max_running_jobs: 100, ...limits } }),
  });
  if (response.status !== 201) throw new Error(`createKey: ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * The jobs counted against a key's running-jobs cap, read from its key object's storage. Admissions are saved in
 * batches, so this first waits out one batch interval: what the object holds in memory is then in storage too.
 */
export async function runningJobSlots(key: TestKey): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 2 * ACTIVE_JOBS_PERSIST_INTERVAL_MS));
  const stub = env.API_KEYS.get(env.API_KEYS.idFromName(await sha256Hex(key.key)));
  return runInDurableObject(
    stub,
    (_object: ApiKeyObject, state) =>
      state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM active_jobs').one().n,
  );
}

/** JSON request with a bearer key. */
export function callJson(path: string, key: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
  return call(path, {
    method: body === undefined ? 'GET' : 'POST',
    ...init,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.headers as Record<string, string> | undefined),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Options of a signed runner request; everything defaults to a valid, fresh request. */
export interface RunnerRequestOptions {
  runnerId?: string;
  secret?: string;
  timestamp?: number;
  nonce?: string;
  raw?: string;
  signal?: AbortSignal;
}

/** A fresh random nonce: 128 bits as lowercase hex. */
export function runnerNonce(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The headers and body of a signed runner request (docs/runner-protocol.md), so a test can send it more than once. */
export async function signedRunnerRequest(
  path: string,
  body: unknown,
  options: RunnerRequestOptions = {},
): Promise<{ headers: Record<string, string>; body: string }> {
  const raw = options.raw ?? (body === undefined ? '' : JSON.stringify(body));
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? runnerNonce();
  const runnerId = options.runnerId ?? 'runner-test';
  const signature = await runnerSignature(options.secret ?? RUNNER_SECRET, {
    timestamp,
    nonce,
    runnerId,
    method: 'POST',
    path,
    body: new TextEncoder().encode(raw),
  });
  return {
    headers: {
      'content-type': 'application/json',
      'x-runner-id': runnerId,
      'x-runner-timestamp': timestamp,
      'x-runner-nonce': nonce,
      'x-runner-signature': signature,
    },
    body: raw,
  };
}

/** A signed runner request (docs/runner-protocol.md), fresh nonce each call. */
export async function runnerCall(path: string, body: unknown, options: RunnerRequestOptions = {}): Promise<Response> {
  const signed = await signedRunnerRequest(path, body, options);
  return call(path, { method: 'POST', headers: signed.headers, body: signed.body, signal: options.signal });
}

/** Expects the OpenAI error shape and returns its `error`. */
export async function expectError(
  response: Response,
  status: number,
): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  const body = JSON.parse(text);
  const error = body.error;
  if (
    !error ||
    typeof error.message !== 'string' ||
    typeof error.type !== 'string' ||
    !('param' in error) ||
    !('code' in error)
  ) {
    throw new Error(`not an OpenAI error shape: ${text}`);
  }
  if (!response.headers.get('x-request-id')?.startsWith('req_')) throw new Error('missing x-request-id');
  return error;
}

/** A valid 64x64 PNG (8-bit grey, all black), built without an encoder library. */
export async function tinyPng(width = 64, height = 64): Promise<Uint8Array> {
  const ihdr = new Uint8Array(13);
  const ihdrView = new DataView(ihdr.buffer);
  ihdrView.setUint32(0, width);
  ihdrView.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const raw = new Uint8Array((width + 1) * height);
  const compressed = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer(),
  );
  return concatBytes(PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', compressed), pngChunk('IEND'));
}
