import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Stack, type StackOptions, startStack } from '../../infra/local/stack.js';

/** Repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Shared across test files: the random model is built once (the builder reuses a matching cache). */
const MODEL_CACHE = join(ROOT, '.local');

/**
 * Starts a fresh stack for a test file: new queue/key state in a temporary folder, the random-weight model from the
 * shared cache (or KANDINSKY_WEIGHTS), fast leases and polls so faults show within seconds.
 */
export async function startTestStack(opts: StackOptions = {}): Promise<Stack & { cleanup(): Promise<void> }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'kd-e2e-'));
  const stack = await startStack({
    root: ROOT,
    stateDir,
    modelCacheDir: MODEL_CACHE,
    runners: 1,
    print: process.env.E2E_VERBOSE === '1' ? (line) => console.log(line) : undefined,
    ...opts,
    runnerEnv: {
      // These tests are about the protocol and faults; the start-up parity check has its own tests
      // (gpu-runner/src/service/runner-startup-check.test.ts) and would add ~15-60 s to every runner start here.
      VERIFY_ON_START: 'false',
      LEASE_WAIT_MS: '2000',
      HEARTBEAT_INTERVAL_MS: '500',
      PROGRESS_INTERVAL_MS: '200',
      LOG_LEVEL: 'info',
      ...opts.runnerEnv,
    },
  });
  return Object.assign(stack, {
    async cleanup() {
      await stack.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  });
}
