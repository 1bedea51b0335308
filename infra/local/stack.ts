import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ManagedProcess } from './child-process.js';
import { startEdgeDev } from './edge-dev.js';
import { StackStartError } from './errors.js';
import { tryLock } from './lock.js';
import { chooseModel, type ModelChoice } from './model-choice.js';
import type { PortChoice } from './ports.js';
import { type RunnerProcess, startRunnerProcess } from './runner-process.js';
import { type LocalS3, startLocalS3 } from './s3-server.js';

/** Options of {@link startStack}; every field has a default for `npm start`. */
export interface StackOptions {
  /** Repository root. */
  root?: string;
  /** Where S3 objects, Durable Object state and the random model live (default `<root>/.local`). */
  stateDir?: string;
  /** Where the random-weight model is cached (default: `stateDir`), so test stacks with throwaway state share one build. */
  modelCacheDir?: string;
  /** Wipe the queue/key state (not the model cache) first. */
  fresh?: boolean;
  /** Port of the edge (default 0: any free port; the stack reports the one it got). */
  edgePort?: PortChoice;
  /** Port of the S3 server (default 0). */
  s3Port?: PortChoice;
  runners?: number;
  bucket?: string;
  /** Extra variables for the edge (e.g. LEASE_TTL_SECONDS), overriding wrangler.toml's [vars]. */
  edgeVars?: Record<string, string>;
  /** Extra runner variables (e.g. LEASE_WAIT_MS, WARMUP). */
  runnerEnv?: Record<string, string>;
  /** Limits of the first API key. */
  keyLimits?: { requests_per_minute: number; max_running_jobs: number };
  print?: (line: string) => void;
}

/** The running local stack. */
export interface Stack {
  edgeUrl: string;
  s3: LocalS3;
  apiKey: string;
  adminToken: string;
  runnerSecret: string;
  model: ModelChoice;
  /** The edge's variables file (mode 0600, removed on stop): where the admin token can be read while the stack runs. */
  secretsFile: string;
  runners: RunnerProcess[];
  edge: ManagedProcess;
  /** Environment a runner of this stack needs (without RUNNER_ID/PORT). */
  runnerEnv: Record<string, string>;
  /** Starts one more runner process. */
  addRunner(extraEnv?: Record<string, string>): Promise<RunnerProcess>;
  /** Creates another API key. */
  createKey(limits?: { requests_per_minute: number; max_running_jobs: number }): Promise<string>;
  /** Stops runners (draining), then the edge, then S3. */
  stop(): Promise<void>;
}

/**
 * Brings the whole service up on loopback: an S3-compatible server on disk, the edge Worker under `wrangler dev`,
 * one or more runners (real converted weights when available, else a small random-weight model) and a first API key.
 * Secrets (admin token, runner secret) are fresh random values each run; they reach the edge through a 0600 file and
 * the runners through their environment, never a command line. Every server binds its port first and is announced
 * with the port it got. A failure stops whatever was started and throws a {@link StackStartError} (one line).
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const root = resolve(opts.root ?? process.cwd());
  const stateDir = resolve(opts.stateDir ?? join(root, '.local'));
  const print = opts.print ?? (() => {});
  await mkdir(stateDir, { recursive: true });
  // Two stacks on one state folder would share Durable Object storage under two workerd processes.
  const lock = await tryLock(join(stateDir, 'stack.lock'));
  if (!('release' in lock))
    throw new StackStartError(`another local stack (process ${lock.heldBy}) is using ${stateDir}; stop it first`);
  const cleanup: (() => Promise<unknown>)[] = [() => lock.release()];
  const stopAll = async (onError: (err: Error) => void) => {
    for (const step of cleanup) await step().catch(onError);
  };
  try {
    if (opts.fresh) await rm(join(stateDir, 'wrangler'), { recursive: true, force: true });
    const adminToken = `adm_${randomBytes(18).toString('hex')}`;
    const runnerSecret = randomBytes(24).toString('hex');
    const bucket = opts.bucket ?? 'kandinsky';

    const s3 = await startLocalS3({ port: opts.s3Port ?? 0, directory: join(stateDir, 's3'), bucket });
    cleanup.unshift(() => s3.close());
    const secretsFile = join(stateDir, 'edge.env');
    const edge = await startEdgeDev({
      root,
      port: opts.edgePort ?? 0,
      persistDir: join(stateDir, 'wrangler'),
      envFile: secretsFile,
      vars: {
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: bucket,
        S3_REGION: 'us-east-1',
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        ADMIN_TOKEN: adminToken,
        RUNNER_SECRET: runnerSecret,
        ...opts.edgeVars,
      },
      print,
    });
    cleanup.unshift(() => edge.stop());

    const createKey = async (limits = opts.keyLimits ?? { requests_per_minute: 600, max_running_jobs: 16 }) => {
      const res = await fetch(`${edge.url}/v1/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'local', limits }),
      });
      if (res.status !== 201)
        throw new StackStartError(`creating an API key failed: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      return ((await res.json()) as { key: string }).key;
    };
    const apiKey = await createKey();

    const model = await chooseModel(root, resolve(opts.modelCacheDir ?? stateDir), print);
    const runnerEnv: Record<string, string> = {
      EDGE_URL: edge.url,
      RUNNER_SECRET: runnerSecret,
      KANDINSKY_WEIGHTS: model.weights,
      KANDINSKY_MODEL_CACHE: join(stateDir, 'model-cache'),
      // Short lease polls so Ctrl-C is quick: a runner finishes its poll before stopping (never leaking a lease).
      LEASE_WAIT_MS: '3000',
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      ...opts.runnerEnv,
    };
    const runners: RunnerProcess[] = [];
    let counter = 0;
    const addRunner = async (extraEnv: Record<string, string> = {}) => {
      counter++;
      const runner = await startRunnerProcess({
        root,
        id: `local-runner-${counter}`,
        env: { ...runnerEnv, ...extraEnv },
        print,
      });
      runners.push(runner);
      return runner;
    };
    cleanup.unshift(() => Promise.all(runners.map((r) => r.stop('SIGTERM', 40_000))));
    for (let i = 0; i < (opts.runners ?? 1); i++) await addRunner();

    let stopped: Promise<void> | undefined;
    return {
      edgeUrl: edge.url,
      s3,
      apiKey,
      adminToken,
      runnerSecret,
      model,
      secretsFile,
      runners,
      edge: edge.process,
      runnerEnv,
      addRunner,
      createKey,
      stop: () => {
        stopped ??= stopAll((err) => print(`[stack] stop: ${err.message}`));
        return stopped;
      },
    };
  } catch (err) {
    await stopAll(() => undefined);
    throw err;
  }
}
