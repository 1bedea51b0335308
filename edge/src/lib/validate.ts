import type { z } from 'zod';
import { ApiError } from '../errors/api-error';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Turns the first zod issue into a 400 naming the offending field (dotted path, e.g. `input.steps`). Codes: a field that
 * is absent is `missing_required_parameter`, one of the wrong JSON type `invalid_type`, an unknown one
 * `unknown_parameter`, anything else (range, enum, format, cross-field rule) `invalid_value`. Issues must carry their
 * input (parse with `reportInput: true`, as {@link validate} does) to tell absent from wrong-typed.
 */
export function validationError(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const param = [path, issue.keys[0]].filter(Boolean).join('.');
    return new ApiError(400, `Unrecognized request argument supplied: ${param}`, { param, code: 'unknown_parameter' });
  }
  const code =
    issue.code !== 'invalid_type'
      ? 'invalid_value'
      : issue.input === undefined
        ? 'missing_required_parameter'
        : 'invalid_type';
  return new ApiError(400, `Invalid value for ${path || 'body'}: ${issue.message}`, { param: path || null, code });
}

/** Validates a value against a schema or throws a 400 {@link ApiError}. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw validationError(result.error);
  return result.data;
}

/**
 * Parses raw bytes as JSON (UTF-8, strict) and validates them. An empty body counts as `{}` only when `allowEmpty`.
 * @example const body = parseJson(c.get('rawBody'), leaseBodySchema, { allowEmpty: true });
 */
export function parseJson<T extends z.ZodType>(
  bytes: Uint8Array,
  schema: T,
  options: { allowEmpty?: boolean } = {},
): z.infer<T> {
  if (bytes.byteLength === 0 && options.allowEmpty) return validate(schema, {});
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new ApiError(400, 'The request body is not valid JSON.', { code: 'invalid_json' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(400, 'The request body must be a JSON object.', { code: 'invalid_json' });
  }
  return validate(schema, value);
}

/** Requires a JSON content type (with or without charset). */
export function requireJsonContentType(contentType: string | undefined): void {
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new ApiError(415, 'Content-Type must be application/json.', { code: 'unsupported_media_type' });
  }
}
