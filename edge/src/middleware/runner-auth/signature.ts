import {
  RUNNER_SIGNATURE_VERSION,
  runnerSigningString,
  type RunnerRequestParts as SignedParts,
} from '@kandinsky/protocol';
import { hmacSha256, sha256Hex, toHex } from '../../lib/crypto';

/** The signed parts of a runner request, with the body as received. */
export type RunnerRequestParts = SignedParts<Uint8Array>;

/**
 * The signature a runner sends (docs/runner-protocol.md): `v2=` + hex HMAC-SHA256(secret, {@link runnerSigningString}).
 * @example await runnerSignature(secret, { timestamp: '1700000000', nonce, runnerId: 'gpu-1', method: 'POST', path: '/v1/runner/lease', body })
 */
export async function runnerSignature(secret: string, parts: RunnerRequestParts): Promise<string> {
  const signed = runnerSigningString({ ...parts, bodySha256Hex: await sha256Hex(parts.body) });
  return `${RUNNER_SIGNATURE_VERSION}=${toHex(await hmacSha256(secret, signed))}`;
}
