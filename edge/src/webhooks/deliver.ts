import { webhookHeaders } from './sign';

/** Delays (ms) before retry n (index 0 = first retry): exponential from 5 s, 8 attempts over ~11 h. */
export const WEBHOOK_RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 7_200_000, 28_800_000];
/** Attempts including the first. */
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_MS.length + 1;
const DELIVERY_TIMEOUT_MS = 10_000;

/** Outcome of one delivery attempt. */
export interface DeliveryOutcome {
  delivered: boolean;
  status: number | null;
  error: string | null;
}

/**
 * POSTs one signed webhook. 2xx counts as delivered; anything else (including timeouts) is retried by the caller.
 * Redirects are not followed: a redirect could lead to a target the policy refused.
 */
export async function deliverWebhook(input: {
  url: string;
  secret: string;
  messageId: string;
  body: string;
  now: number;
}): Promise<DeliveryOutcome> {
  const headers = await webhookHeaders(input.secret, input.messageId, Math.floor(input.now / 1000), input.body);
  try {
    const response = await fetch(input.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'kandinsky-edge-webhooks/1' },
      body: input.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await response.body?.cancel();
    const delivered = response.status >= 200 && response.status < 300;
    return { delivered, status: response.status, error: delivered ? null : `HTTP ${response.status}` };
  } catch (err) {
    return { delivered: false, status: null, error: String(err).slice(0, 300) };
  }
}
