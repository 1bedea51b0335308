import { createHash, createHmac } from 'node:crypto';

/**
 * The `x-runner-signature` value of docs/runner-protocol.md: `v1=` + hex HMAC-SHA256(secret, timestamp \n METHOD \n
 * path \n hex(sha256(body))). `path` excludes the query string.
 * @example signRunnerRequest('secret', '1700000000', 'POST', '/v1/runner/lease', '{}')
 */
export function signRunnerRequest(
  secret: string,
  timestamp: string,
  method: string,
  path: string,
  body: string,
): string {
  const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
  const canonical = `${timestamp}\n${method.toUpperCase()}\n${path}\n${bodyHash}`;
  return `v1=${createHmac('sha256', secret).update(canonical, 'utf8').digest('hex')}`;
}
