import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Cross-cutting tests of the whole service: the storage contract (any S3 endpoint) and end-to-end tests through the
 * real edge (wrangler dev), real runners and a real S3 server. Run with `npx vitest run --config test/vitest.config.ts`.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // One stack at a time: they each start wrangler and runners on a 2-core machine.
    fileParallelism: false,
  },
});
