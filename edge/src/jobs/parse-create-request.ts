import { ApiError } from '../errors/api-error';
import { sha256Hex } from '../lib/crypto';
import { parseJson, validate } from '../lib/validate';
import { type JobCreateRequest, jobCreateSchema } from '../schemas/job-create';

/** A parsed create request with its uploaded parts and a stable hash for idempotency checks. */
export interface ParsedCreateRequest {
  request: JobCreateRequest;
  attachments: Map<string, Uint8Array>;
  requestHash: string;
}

const MAX_ATTACHMENTS = 10;

/**
 * Parses `POST /v1/jobs` from JSON, or from multipart/form-data with a `request` field holding the same JSON and file
 * parts referenced as `attachment:<part name>`.
 */
export async function parseCreateRequest(
  contentType: string | undefined,
  body: Uint8Array,
): Promise<ParsedCreateRequest> {
  const type = (contentType ?? '').toLowerCase();
  if (/^application\/json\s*(;|$)/.test(type)) {
    const request = parseJson(body, jobCreateSchema);
    return { request, attachments: new Map(), requestHash: await sha256Hex(JSON.stringify(request)) };
  }
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Response(body, { headers: { 'content-type': contentType! } }).formData();
    } catch {
      throw new ApiError(400, 'The multipart body could not be parsed.', { code: 'invalid_multipart' });
    }
    const requestField = form.get('request');
    if (typeof requestField !== 'string') {
      throw new ApiError(400, 'A multipart job request needs a "request" field holding the JSON request.', {
        param: 'request',
        code: 'missing_required_parameter',
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(requestField);
    } catch {
      throw new ApiError(400, 'The "request" field is not valid JSON.', { param: 'request', code: 'invalid_json' });
    }
    const request = validate(jobCreateSchema, value);
    const attachments = new Map<string, Uint8Array>();
    const hashes: string[] = [];
    for (const [name, part] of form.entries()) {
      if (name === 'request') continue;
      if (typeof part === 'string') {
        throw new ApiError(400, `Unrecognized form field: ${name}`, { param: name, code: 'unknown_parameter' });
      }
      if (attachments.size >= MAX_ATTACHMENTS)
        throw new ApiError(400, 'Too many file parts.', { code: 'too_many_attachments' });
      const bytes = new Uint8Array(await part.arrayBuffer());
      attachments.set(name, bytes);
      hashes.push(`${name}:${await sha256Hex(bytes)}`);
    }
    hashes.sort();
    return { request, attachments, requestHash: await sha256Hex(JSON.stringify([request, hashes])) };
  }
  throw new ApiError(415, 'Content-Type must be application/json or multipart/form-data.', {
    code: 'unsupported_media_type',
  });
}
