import { createHash, createHmac, randomBytes } from 'node:crypto';
import { RUNNER_SIGNATURE_VERSION, runnerSigningString } from '@kandinsky/protocol';

/** The signed parts of a runner request (docs/runner-protocol.md), with the body as sent. */
export interface RunnerRequestParts {
  /** `x-runner-timestamp`: unix seconds, decimal. */
  timestamp: string;
  /** `x-runner-nonce`: 32 lowercase hex characters, fresh for every request ({@link runnerNonce}). */
  nonce: string;
  /** `x-runner-id`. */
  runnerId: string;
  method: string;
  /** URL path without the query string. */
  path: string;
  /** The exact body sent (empty string for none). */
  body: string;
}

/**
 * The `x-runner-signature` value: `v2=` + hex HMAC-SHA256(secret, {@link runnerSigningString} of the parts).
 * @example signRunnerRequest('secret', { timestamp: '1700000000', nonce: runnerNonce(), runnerId: 'gpu-1', method: 'POST', path: '/v1/runner/lease', body: '{}' })
 */
export function signRunnerRequest(secret: string, parts: RunnerRequestParts): string {
  const bodySha256Hex = createHash('sha256').update(parts.body, 'utf8').digest('hex');
  const signed = runnerSigningString({ ...parts, bodySha256Hex });
  return `${RUNNER_SIGNATURE_VERSION}=${createHmac('sha256', secret).update(signed, 'utf8').digest('hex')}`;
}

/** A fresh `x-runner-nonce`: 128 random bits as lowercase hex. The edge accepts each nonce once. */
export function runnerNonce(): string {
  return randomBytes(16).toString('hex');
}
