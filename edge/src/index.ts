import { createApp } from './app';
import type { Env } from './env';

export { ApiKeyObject } from './durable/api-key-object';
export { KeyRegistry } from './durable/key-registry';
export { QueueShard } from './durable/queue-shard';
export { RunnerReplayGuard } from './durable/runner-replay-guard';

const app = createApp();

/** Worker entry point. */
export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
