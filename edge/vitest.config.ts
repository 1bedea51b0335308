import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

/**
 * Tests run inside workerd (the Workers runtime) with the real wrangler.toml bindings. A Node S3 server that verifies
 * SigV4 (@20minutes/s3rver) runs in globalSetup on 127.0.0.1; its port reaches the Worker as S3_ENDPOINT.
 */
export default defineConfig({
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
    globalSetup: ['./test/global-setup.ts'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
