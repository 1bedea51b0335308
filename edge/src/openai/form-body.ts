import { ApiError } from '../errors/api-error';
import { sha256Hex } from '../lib/crypto';

/** A multipart images request (edits, variations): its text fields, read as JSON-like values, and its files. */
export interface OpenAiForm {
  /** Text fields; numbers and booleans where the field is one and the text reads as one, else the text itself. */
  fields: Record<string, unknown>;
  /** The `image` files (`image` or `image[]`, repeated), in order. */
  images: Uint8Array[];
  /** The `mask` file, if any. */
  mask: Uint8Array | null;
  /** SHA-256 of each file with its field, sorted (for the Idempotency-Key request hash). */
  fileHashes: string[];
}

/** Fields that hold numbers; the forms carry them as text. */
const NUMBER_FIELDS = new Set([
  'n',
  'seed',
  'steps',
  'guidance_scale',
  'prior_steps',
  'prior_guidance_scale',
  'strength',
  'width',
  'height',
  'partial_images',
]);
const BOOLEAN_FIELDS = new Set(['stream']);
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** More parts than any request can use (7 images, a mask, ~20 fields): a bound on work, not a rule of the API. */
const MAX_PARTS = 64;

/**
 * Reads the multipart body of an OpenAI-style images request (`image` files, an optional `mask` file, text fields),
 * as the official clients send it: an array of images arrives as repeated `image[]` parts. Text that reads as a
 * number (or `true` / `false`) becomes one in the fields that hold numbers (booleans); anything else stays text, so
 * the request schema refuses it with the field's name and `invalid_type`.
 * @throws ApiError 415 for a body that is not multipart/form-data; 400 for an unreadable one, a file where text is
 *   expected (or the reverse), a field given twice, or too many parts.
 */
export async function readOpenAiForm(contentType: string | undefined, body: Uint8Array): Promise<OpenAiForm> {
  if (!(contentType ?? '').toLowerCase().startsWith('multipart/form-data')) {
    throw new ApiError(415, 'Content-Type must be multipart/form-data (the image files are uploaded as parts).', {
      code: 'unsupported_media_type',
    });
  }
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType! } }).formData();
  } catch {
    throw new ApiError(400, 'The multipart body could not be parsed.', { code: 'invalid_multipart' });
  }
  const out: OpenAiForm = { fields: {}, images: [], mask: null, fileHashes: [] };
  let parts = 0;
  for (const [rawName, value] of form.entries()) {
    if (++parts > MAX_PARTS) throw new ApiError(400, `More than ${MAX_PARTS} form parts.`, { code: 'too_many_parts' });
    const name = rawName === 'image[]' ? 'image' : rawName;
    if (typeof value !== 'string') {
      const bytes = new Uint8Array(await value.arrayBuffer());
      if (name === 'image') out.images.push(bytes);
      else if (name === 'mask' && out.mask === null) out.mask = bytes;
      else if (name === 'mask') throw twice('mask');
      else throw new ApiError(400, `Unrecognized file field: ${name}`, { param: name, code: 'unknown_parameter' });
      out.fileHashes.push(`${name}:${await sha256Hex(bytes)}`);
      continue;
    }
    if (name === 'image' || name === 'mask') {
      throw new ApiError(400, `${name} must be an uploaded file (PNG, JPEG or WebP), not text.`, {
        param: name,
        code: 'invalid_type',
      });
    }
    if (name in out.fields) throw twice(name);
    out.fields[name] = readText(name, value);
  }
  out.fileHashes.sort();
  return out;
}

function readText(name: string, text: string): unknown {
  const trimmed = text.trim();
  if (NUMBER_FIELDS.has(name) && NUMBER.test(trimmed)) return Number(trimmed);
  if (BOOLEAN_FIELDS.has(name) && (trimmed === 'true' || trimmed === 'false')) return trimmed === 'true';
  return text;
}

function twice(name: string): ApiError {
  return new ApiError(400, `${name} is given more than once.`, { param: name, code: 'duplicate_parameter' });
}
