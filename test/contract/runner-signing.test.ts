import { RUNNER_ID_PATTERN, RUNNER_NONCE_PATTERN } from '@kandinsky/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runnerSignature } from '../../edge/src/middleware/runner-auth/signature.js';
import { runnerNonce, signRunnerRequest } from '../../gpu-runner/src/service/runner-signature.js';

/**
 * The runner signs with node:crypto, the edge checks with WebCrypto: both must produce the same signature for every
 * request a runner can send, whatever its body (any Unicode, signed as its UTF-8 bytes), id, method or path.
 */
describe('runner request signatures across the boundary', () => {
  it('the edge computes exactly the signature the runner sends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          secret: fc.string({ minLength: 1, maxLength: 64 }),
          timestamp: fc.integer({ min: 0, max: 2 ** 40 }).map(String),
          nonce: fc.constant(null).map(() => runnerNonce()),
          runnerId: fc.stringMatching(RUNNER_ID_PATTERN),
          method: fc.constantFrom('POST', 'post', 'GET', 'Put'),
          path: fc.webPath(),
          body: fc.string({ unit: 'grapheme', maxLength: 300 }),
        }),
        async ({ secret, body, ...parts }) => {
          expect(parts.nonce).toMatch(RUNNER_NONCE_PATTERN);
          const sent = signRunnerRequest(secret, { ...parts, body });
          const expected = await runnerSignature(secret, { ...parts, body: new TextEncoder().encode(body) });
          expect(expected).toBe(sent);
        },
      ),
      { numRuns: 300 },
    );
  });
});
