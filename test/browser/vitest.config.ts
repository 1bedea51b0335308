import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Browser tests of the web playground: Debian's Chromium driven by playwright-core against the edge under
 * `wrangler dev`, a local S3 server and a fake runner (see stack/). Plus Node unit tests of the page's browser
 * modules. Run from the repository root: `npx vitest run --config test/browser/vitest.config.ts`.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
    environment: 'node',
    // One wrangler dev and one Chromium at a time: the machine is shared.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
