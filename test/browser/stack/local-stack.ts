import { fileURLToPath } from 'node:url';
import { type EdgeDev, startEdgeDev } from './edge-dev';
import { FakeRunner } from './fake-runner';
import { startTestBucket, type TestBucket } from './s3';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ADMIN_TOKEN = 'browser-test-admin-token';
const RUNNER_SECRET = 'browser-test-runner-secret';

/** The stack the browser tests run against: S3 server, the edge under wrangler dev, and a fake runner. */
export interface LocalStack {
  edge: EdgeDev;
  bucket: TestBucket;
  runner: FakeRunner;
  /** Creates an API key through the admin API. */
  createKey(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the stack; every part listens on 127.0.0.1 with a random port and keeps its state in temp folders. */
export async function startLocalStack(): Promise<LocalStack> {
  const bucket = await startTestBucket('kd-browser');
  let edge: EdgeDev;
  try {
    edge = await startEdgeDev(ROOT, {
      S3_ENDPOINT: bucket.endpoint,
      S3_BUCKET: bucket.bucket,
      S3_ACCESS_KEY_ID: bucket.accessKeyId,
      S3_SECRET_ACCESS_KEY: bucket.secretAccessKey,
      ADMIN_TOKEN,
      RUNNER_SECRET,
      QUEUE_SHARDS: '2',
    });
  } catch (error) {
    await bucket.close();
    throw error;
  }
  const runner = new FakeRunner(edge.url, RUNNER_SECRET, bucket);
  runner.start();
  return {
    edge,
    bucket,
    runner,
    async createKey() {
      const response = await fetch(`${edge.url}/v1/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ limits: { requests_per_minute: 1_000, max_running_jobs: 10 } }),
      });
      if (response.status !== 201) throw new Error(`create key: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { key: string }).key;
    },
    async stop() {
      await runner.stop();
      await edge.stop();
      await bucket.close();
    },
  };
}
