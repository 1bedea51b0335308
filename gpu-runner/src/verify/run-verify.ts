/**
 * `kandinsky verify`: proves, on the backend this process runs, that the port computes Kandinsky 2.1 as the
 * reference does. The tiny suite (every component and the seven whole-pipeline traces) takes seconds and is what
 * the runner runs at start-up; `full` adds the seven full-size components with regenerated seeded weights (minutes
 * on a GPU, up to ~15 on the pure-JS backend). See `tolerance.ts` for how errors and tolerances are defined.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { currentBackend, initBackend } from '../tf/backend.js';
import { fixturesRoot, fullSeededFixtures, tinyFixtures } from './fixture-root.js';
import { runFullSuite } from './full-suite.js';
import { type ComponentReport, summarize, type VerifyReport } from './report.js';
import { runTinySuite } from './tiny-suite.js';

export interface VerifyOptions {
  /** Run the tiny suite (default true). */
  tiny?: boolean;
  /** Add the full-size seeded suite (default false). */
  full?: boolean;
  /** Only these components / traces (folder names, e.g. `movq`, `e2e_inpaint`); default all. */
  only?: readonly string[];
  /** Environment for the fixture root (`KANDINSKY_FIXTURES`); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The full prior's batch rows (see `FullSuiteOptions.priorRows`). */
  priorRows?: 1 | 2;
  /** Parent of the scratch folder (default the OS temp folder; a full U-Net needs ~10 GB there). */
  scratch?: string;
  /** Called with each component's report as it finishes. */
  onReport?: (report: ComponentReport) => void;
  /** Progress lines of the long full-size phases. */
  log?: (line: string) => void;
  /** Stop at the first failing component or trace (a verdict is enough: the runner's start-up check). */
  stopOnFailure?: boolean;
}

/** Runs the requested suites on the current backend (initialising the default one if none is) and reports. */
export async function runVerify(opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const backend = currentBackend() ?? (await initBackend());
  const env = opts.env ?? process.env;
  const sets: ('tiny' | 'full')[] = [];
  if (opts.tiny !== false) sets.push('tiny');
  if (opts.full) sets.push('full');
  const workDir = await mkdtemp(join(opts.scratch ?? tmpdir(), 'kandinsky-verify-'));
  const components: ComponentReport[] = [];
  try {
    if (opts.tiny !== false) {
      components.push(
        ...(await runTinySuite({
          set: tinyFixtures(env),
          workDir: join(workDir, 'tiny'),
          backend: tf.getBackend(),
          only: opts.only,
          onReport: opts.onReport,
          stopOnFailure: opts.stopOnFailure,
        })),
      );
    }
    if (opts.full && !(opts.stopOnFailure && components.some((c) => !c.pass))) {
      components.push(
        ...(await runFullSuite({
          set: fullSeededFixtures(env),
          workDir,
          only: opts.only,
          priorRows: opts.priorRows,
          onReport: opts.onReport,
          log: opts.log,
        })),
      );
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return summarize(
    {
      backend: { choice: backend.choice, tfBackend: backend.tfBackend, threads: backend.threads },
      fixtures: fixturesRoot(env),
      sets,
      components,
    },
    (performance.now() - started) / 1000,
  );
}
