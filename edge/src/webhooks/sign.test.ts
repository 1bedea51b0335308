import { describe, expect, it } from 'vitest';
import { makeWebhookSecret, webhookHeaders } from './sign';

describe('webhookHeaders', () => {
  it('matches the Standard Webhooks reference example', async () => {
    // Example from the Standard Webhooks specification (standard-webhooks/standard-webhooks, spec + test suites).
    const headers = await webhookHeaders(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('makes whsec_ secrets of 32 random bytes', () => {
    const secret = makeWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(makeWebhookSecret()).not.toBe(secret);
  });
});
