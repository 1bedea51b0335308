import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  RUNNER_SIGNATURE_VERSION,
  runnerSigningString,
  type RunnerRequestParts as SignedParts,
} from '@kandinsky/protocol';

/** The signed parts of a runner request, with the body as sent. */
export type RunnerRequestParts = SignedParts<string>;

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
