import { hostname } from 'node:os';
import { type BackendInfo, initBackend } from '../tf/backend.js';
import { wasmThreadsFromEnv } from '../tf/wasm-threads.js';
import { loadRunnerConfig, type RunnerConfig } from './config.js';
import { EdgeClient } from './edge-client.js';
import { HealthServer } from './health-server.js';
import type { ImageGenerator } from './image-generator.js';
import { createLogger, type Logger } from './logger.js';
import { resolveModelFolder } from './model-source.js';
import { ObjectStore } from './object-store.js';
import { RunnerMetrics } from './runner-metrics.js';
import { RunnerWorker } from './runner-worker.js';
import { createS3Client } from './s3-client.js';

/** Loads the model from a local folder and returns a generator (checks and warm-up are the caller's). */
export type GeneratorFactory = (
  modelDir: string,
  ctx: { log: Logger; backend: BackendInfo },
) => Promise<ImageGenerator>;

/** A started runner. */
export interface RunnerService {
  config: RunnerConfig;
  /** Port of `/healthz`, `/readyz`, `/metrics`. */
  healthPort: number;
  metrics: RunnerMetrics;
  /** Drains: stops leasing, finishes or releases the running job, closes the health server. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  createGenerator?: GeneratorFactory;
  log?: Logger;
}

/**
 * Starts a runner: validates the environment, opens the health port (not ready yet), picks the TF.js backend, fetches
 * the model (folder or s3://), loads and checks it, warms up, reports ready, and starts pulling jobs. Any failure
 * before ready closes what was opened and rethrows, so the process exits non-zero with the reason.
 * @example const runner = await startRunnerService(); process.on('SIGTERM', () => runner.stop());
 */
export async function startRunnerService(opts: StartOptions = {}): Promise<RunnerService> {
  const config = loadRunnerConfig(opts.env ?? process.env, hostname());
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const metrics = new RunnerMetrics();
  let ready = false;
  let draining = false;
  let worker: RunnerWorker | undefined;
  let generator: ImageGenerator | undefined;
  let loopFailed = false;
  let backendInfo: BackendInfo | undefined;
  let modelDescription = 'loading';
  let verification: 'pending' | 'running' | 'passed' | 'skipped' = 'pending';
  const health = new HealthServer({
    live: () => !loopFailed,
    ready: () => ready && !draining,
    describe: () => ({
      runner: config.RUNNER_ID,
      backend: backendInfo?.choice ?? null,
      model: modelDescription,
      verification,
      busy: worker?.busy ?? false,
      draining,
    }),
    metrics: () => metrics.registry.render(),
  });
  const healthPort = await health.listen(config.PORT, config.HOST);
  log.info('health server listening', { port: healthPort });
  try {
    // wasm gets one thread per core only when the start-up check can vouch for it.
    backendInfo = await initBackend({
      prefer: config.KANDINSKY_BACKEND,
      wasmThreads:
        wasmThreadsFromEnv({ KANDINSKY_WASM_THREADS: config.KANDINSKY_WASM_THREADS }) ??
        (config.VERIFY_ON_START ? 'auto' : 1),
      log: (msg) => log.info(msg),
    });
    if (config.VERIFY_ON_START) {
      verification = 'running';
      const { verifyOnStart } = await import('../verify/startup-check.js');
      const fixtures = config.KANDINSKY_FIXTURES ? { KANDINSKY_FIXTURES: config.KANDINSKY_FIXTURES } : {};
      backendInfo = (await verifyOnStart(log, { ...process.env, ...fixtures })).backend;
      verification = 'passed';
    } else {
      verification = 'skipped';
      log.warn('start-up parity check skipped (VERIFY_ON_START=false): this backend is serving unverified');
    }
    metrics.backend.set({ backend: backendInfo.choice, tf_backend: backendInfo.tfBackend }, 1);
    const s3 = createS3Client({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    });
    const modelDir = await resolveModelFolder(config.KANDINSKY_WEIGHTS, {
      cacheDir: config.KANDINSKY_MODEL_CACHE,
      s3,
      log: (m) => log.info(m),
    });
    const t0 = Date.now();
    const factory = opts.createGenerator ?? (await import('./kandinsky-generator.js')).createKandinskyGenerator;
    const loaded = await factory(modelDir, { log, backend: backendInfo });
    generator = loaded;
    modelDescription = loaded.description;
    log.info('model loaded', { model: loaded.description, dir: modelDir, load_ms: Date.now() - t0 });
    if (config.WARMUP) {
      const t1 = Date.now();
      await loaded.warmup();
      log.info('warm-up done', { ms: Date.now() - t1 });
    }
    const store = new ObjectStore(s3, {
      bucket: config.S3_BUCKET,
      attempts: config.S3_UPLOAD_ATTEMPTS,
      retryBaseMs: config.S3_RETRY_BASE_MS,
      onRetry: (op, key, err, attempt) => {
        metrics.storageRetries.inc({ op });
        log.warn('storage call failed; retrying', { op, key, attempt, error: String((err as Error)?.message ?? err) });
      },
    });
    const edge = new EdgeClient({
      baseUrl: config.EDGE_URL,
      runnerId: config.RUNNER_ID,
      secret: config.RUNNER_SECRET,
      onRetry: (path, err, attempt) =>
        log.warn('edge call failed; retrying', { path, attempt, error: String((err as Error)?.message ?? err) }),
    });
    worker = new RunnerWorker(edge, store, loaded, metrics, log, {
      runnerId: config.RUNNER_ID,
      tasks: config.RUNNER_TASKS,
      maxBatch: config.RUNNER_MAX_BATCH,
      leaseWaitMs: config.LEASE_WAIT_MS,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      progressIntervalMs: config.PROGRESS_INTERVAL_MS,
    });
  } catch (err) {
    generator?.dispose();
    await health.close();
    throw err;
  }
  ready = true;
  metrics.ready.set({}, 1);
  log.info('runner ready', {
    runner: config.RUNNER_ID,
    edge: config.EDGE_URL,
    tasks: config.RUNNER_TASKS,
    model: modelDescription,
  });
  const loop = worker.start().catch((err) => {
    loopFailed = true;
    log.error('job loop died', { error: String(err) });
  });
  let stopping: Promise<void> | undefined;
  return {
    config,
    healthPort,
    metrics,
    stop() {
      stopping ??= (async () => {
        draining = true;
        metrics.ready.set({}, 0);
        log.info('draining: no new jobs', { grace_ms: config.SHUTDOWN_GRACE_MS });
        await worker!.stop(config.SHUTDOWN_GRACE_MS);
        await loop;
        generator!.dispose();
        await health.close();
        log.info('runner stopped');
      })();
      return stopping;
    },
  };
}
