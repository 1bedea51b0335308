import { fromBase64, hmacSha256, toBase64 } from '../lib/crypto';
import { randomToken } from '../lib/random';

/** Prefix of Standard Webhooks secrets. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Makes a new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function makeWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** A new message id (`msg_…`), stable across retries of one delivery. */
export function makeWebhookMessageId(): string {
  return `msg_${randomToken(24)}`;
}

/**
 * Signs a webhook body in the Standard Webhooks scheme: `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)),
 * where key is the base64-decoded part of the `whsec_` secret.
 * @example const headers = await webhookHeaders(secret, 'msg_1', 1700000000, '{"type":"job.succeeded"}');
 */
export async function webhookHeaders(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string,
): Promise<Record<string, string>> {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error('webhook secret must start with whsec_');
  const key = fromBase64(secret.slice(WEBHOOK_SECRET_PREFIX.length));
  const mac = await hmacSha256(key, `${messageId}.${timestampSeconds}.${body}`);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${toBase64(mac)}`,
  };
}
