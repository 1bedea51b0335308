import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

/**
 * Two projects, both run by `npm test`:
 * - `workers`: tests inside workerd (the Workers runtime) with the real wrangler.toml bindings. A Node S3 server that
 *   verifies SigV4 (@20minutes/s3rver) and a webhook receiver run in globalSetup on 127.0.0.1.
 * - `node`: end-to-end over real HTTP against `wrangler dev` (the deployed configuration), with the official openai client.
 */
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: './src/index.ts',
            wrangler: { configPath: '../wrangler.toml' },
            miniflare: {
              bindings: {
                ENVIRONMENT: 'development',
                S3_ENDPOINT: `http://127.0.0.1:${inject('s3Port')}`,
                S3_BUCKET: 'kd-test',
                S3_ACCESS_KEY_ID: 'S3RVER',
                S3_SECRET_ACCESS_KEY: 'S3RVER',
                ADMIN_TOKEN: 'test-admin-token',
                RUNNER_SECRET: 'test-runner-secret',
                QUEUE_SHARDS: '4',
                QUEUE_CAP: '40',
                MAX_ATTEMPTS: '3',
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          globalSetup: ['./test/global-setup.ts'],
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test-node/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
