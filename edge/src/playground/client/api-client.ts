/**
 * Browser module `api-client.js`: the page's only way to the network. Calls the public API on the page's own origin
 * with the key from the key field, and turns every failure into an `ApiRequestError` carrying the API's own words.
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const API_CLIENT_JS = String.raw`
import { SseParser } from './sse-parser.js';

/** An API failure: the OpenAI-shaped error body ({ message, type, param, code }) plus the HTTP status (0: no answer). */
export class ApiRequestError extends Error {
  /**
   * @param {number} status
   * @param {{ message?: string, type?: string, param?: string | null, code?: string | null }} error
   */
  constructor(status, error) {
    super(error.message || 'The API answered HTTP ' + status + '.');
    this.name = 'ApiRequestError';
    this.status = status;
    this.type = error.type ?? null;
    this.param = error.param ?? null;
    this.code = error.code ?? null;
  }
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** True for job states that never change again. @param {string} status */
export function isTerminal(status) {
  return TERMINAL.has(status);
}

/**
 * Builds a client for the public API.
 * @param {{ getKey: () => string, baseUrl?: string, fetchImpl?: typeof fetch, pollMs?: number }} options
 */
export function createApiClient({ getKey, baseUrl = '', fetchImpl = fetch.bind(globalThis), pollMs = 1000 }) {
  async function call(method, path, { body, headers = {}, signal } = {}) {
    let response;
    try {
      response = await fetchImpl(baseUrl + path, {
        method,
        body,
        signal,
        headers: { authorization: 'Bearer ' + getKey(), ...headers },
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiRequestError(0, { message: 'Could not reach the API (' + (error?.message ?? error) + ').' });
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async function json(method, path, options) {
    return (await call(method, path, options)).json();
  }

  return {
    /**
     * Creates a job. Files travel as multipart parts that the JSON names as "attachment:<part>".
     * @param {{ task: string, input: object }} request
     * @param {Map<string, Blob>} files
     */
    createJob(request, files = new Map()) {
      if (files.size === 0) {
        return json('POST', '/v1/jobs', {
          body: JSON.stringify(request),
          headers: { 'content-type': 'application/json' },
        });
      }
      const form = new FormData();
      form.append('request', JSON.stringify(request));
      for (const [name, blob] of files) form.append(name, blob, name);
      return json('POST', '/v1/jobs', { body: form });
    },
    /** @param {string} id */
    getJob(id) {
      return json('GET', '/v1/jobs/' + encodeURIComponent(id));
    },
    /** @param {string} id */
    cancelJob(id) {
      return json('POST', '/v1/jobs/' + encodeURIComponent(id) + '/cancel');
    },
    /** @param {number} limit */
    listJobs(limit) {
      return json('GET', '/v1/jobs?limit=' + limit);
    },
    /**
     * Follows a job until it ends, calling onUpdate with every new state (including a queued job's new place) and
     * onPreview with every preview as it is stored. Reads the SSE stream; if the stream breaks it reconnects, and
     * after repeated breaks falls back to polling, so progress never silently stops.
     * @param {string} id
     * @param {{ onUpdate: (job: object) => void, onPreview?: (preview: { step: number, images: { url: string }[] }) => void,
     *   signal?: AbortSignal }} options
     * @returns {Promise<object>} the terminal job
     */
    async followJob(id, { onUpdate, onPreview = () => {}, signal }) {
      let latest = null;
      const seen = (job) => {
        latest = job;
        onUpdate(job);
      };
      const moved = (queue) => {
        if (latest && latest.status === 'queued') seen({ ...latest, queue });
      };
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await streamEvents(id, { onJob: seen, onQueue: moved, onPreview }, signal);
        } catch (error) {
          if (signal?.aborted) throw error;
          // A refused stream (401, 404, ...) will not get better by retrying.
          if (error instanceof ApiRequestError && error.status >= 400 && error.status < 500) throw error;
        }
        if (latest && isTerminal(latest.status)) return latest;
      }
      while (!latest || !isTerminal(latest.status)) {
        await delay(pollMs, signal);
        seen(await json('GET', '/v1/jobs/' + encodeURIComponent(id), { signal }));
      }
      return latest;
    },
  };

  async function streamEvents(id, { onJob, onQueue, onPreview }, signal) {
    const response = await call('GET', '/v1/jobs/' + encodeURIComponent(id) + '/events', {
      headers: { accept: 'text/event-stream' },
      signal,
    });
    let done = false;
    const parser = new SseParser((event) => {
      if (event.event === 'job') onJob(JSON.parse(event.data));
      else if (event.event === 'queue') onQueue(JSON.parse(event.data).queue);
      else if (event.event === 'preview') onPreview(JSON.parse(event.data));
      else if (event.event === 'done') done = true;
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      while (!done) {
        const { value, done: ended } = await reader.read();
        if (ended) {
          parser.end();
          break;
        }
        parser.push(value);
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }
}

/** Reads the OpenAI error shape from a failed response, or describes the failure when the body is not that shape. */
async function errorFrom(response) {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === 'object' && typeof body.error.message === 'string') {
      return new ApiRequestError(response.status, body.error);
    }
  } catch {}
  return new ApiRequestError(response.status, {
    message: 'The API answered HTTP ' + response.status + (text ? ': ' + text.slice(0, 200) : '.'),
  });
}

function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
`;
