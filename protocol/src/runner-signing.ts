/**
 * How a runner signs its calls to the edge (docs/runner-protocol.md, "Authentication"), defined once for both sides.
 * Each side computes the hashes with its own crypto (node:crypto in the runner, WebCrypto in the Worker); what they
 * must agree on byte for byte, the string that is signed and the header formats, is here.
 */

/** Accepted difference between a runner's signed timestamp and the edge's clock, in seconds. */
export const RUNNER_CLOCK_SKEW_SECONDS = 300;

/** `x-runner-id`: a name the operator gives each runner. */
export const RUNNER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** `x-runner-nonce`: 128 random bits as lowercase hex, fresh for every request (the edge accepts each once). */
export const RUNNER_NONCE_PATTERN = /^[0-9a-f]{32}$/;
/** `x-runner-timestamp`: unix seconds, decimal. */
export const RUNNER_TIMESTAMP_PATTERN = /^\d{1,12}$/;
/** The prefix of `x-runner-signature` values, and the first line of what is signed. */
export const RUNNER_SIGNATURE_VERSION = 'v2';

/** The signed parts of a runner request. */
export interface RunnerSignedParts {
  /** `x-runner-timestamp`. */
  timestamp: string;
  /** `x-runner-nonce`. */
  nonce: string;
  /** `x-runner-id`. */
  runnerId: string;
  /** The HTTP method, any case (signed upper-case). */
  method: string;
  /** The URL path without the query string. */
  path: string;
  /** Lowercase hex SHA-256 of the exact body bytes (of the empty string for none). */
  bodySha256Hex: string;
}

/**
 * The string a runner signs: `"v2" \n timestamp \n nonce \n runnerId \n METHOD \n path \n hex(sha256(body))`. The
 * signature is `v2=` + lowercase hex HMAC-SHA256(RUNNER_SECRET, this string).
 * @example runnerSigningString({ timestamp: '1700000000', nonce, runnerId: 'gpu-1', method: 'POST', path: '/v1/runner/lease', bodySha256Hex })
 */
export function runnerSigningString(parts: RunnerSignedParts): string {
  return [
    RUNNER_SIGNATURE_VERSION,
    parts.timestamp,
    parts.nonce,
    parts.runnerId,
    parts.method.toUpperCase(),
    parts.path,
    parts.bodySha256Hex,
  ].join('\n');
}

/** A runner request's signed parts with its body (`string` as the runner sends it, bytes as the edge receives it). */
export type RunnerRequestParts<Body> = Omit<RunnerSignedParts, 'bodySha256Hex'> & {
  /** The exact body (empty for none); its UTF-8 bytes are what is hashed. */
  body: Body;
};
