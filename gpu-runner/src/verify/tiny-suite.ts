/**
 * The tiny suite of `kandinsky verify` (and of the runner's start-up check): every tiny reference component through
 * the real path (harness checkpoint -> converter -> component folder -> loader -> the pipelines' adapters) and the
 * seven whole-pipeline traces on those same loaded models. Seconds on any backend.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertComponent } from '../convert/convert-component.js';
import { readSafetensors } from '../io/safetensors.js';
import { type LoadedComponent, loadComponent } from '../models/load-component.js';
import { loadClipTokenizer, loadXlmRobertaTokenizer } from '../tokenizers/index.js';
import { type ComponentCheck, runComponentCheck } from './component-check.js';
import { E2E_SCENARIOS } from './e2e-scenarios.js';
import { checkpointFromHarness } from './harness-checkpoint.js';
import { imageEncoderCheck } from './image-encoder.js';
import { movqCheck } from './movq.js';
import { priorCheck } from './prior.js';
import { priorTextEncoderCheck } from './prior-text-encoder.js';
import type { ComponentReport } from './report.js';
import { textEncoderCheck } from './text-encoder.js';
import { unetCheck } from './unet.js';
import { unetInpaintCheck } from './unet-inpaint.js';
import { checkWholeRun, type TinyModels } from './whole-run.js';

/** The seven component checks, in the order the pipelines use the components. */
export const COMPONENT_CHECKS: ComponentCheck[] = [
  priorTextEncoderCheck,
  priorCheck,
  imageEncoderCheck,
  textEncoderCheck,
  unetCheck,
  unetInpaintCheck,
  movqCheck,
];

export interface TinySuiteOptions {
  /** The tiny set's folder. */
  set: string;
  /** Scratch folder for checkpoints and converted components (the caller removes it). */
  workDir: string;
  /** Backend label for the report. */
  backend: string;
  /** Only these components / traces (by folder name); default all. */
  only?: readonly string[];
  /** Called with each finished report (progress output). */
  onReport?: (report: ComponentReport) => void;
  /** Stop at the first component or trace that fails (the runner's start-up check needs only a verdict). */
  stopOnFailure?: boolean;
}

/** Converts and loads one tiny component, timing both. */
async function convertAndLoad(set: string, name: string, workDir: string, seconds: Record<string, number>) {
  let start = performance.now();
  const checkpoint = await checkpointFromHarness(join(set, name), join(workDir, 'checkpoints', name));
  const out = join(workDir, 'converted', name);
  await convertComponent(checkpoint, out, { shardBytes: 1 << 20 });
  seconds.convert = (performance.now() - start) / 1000;
  start = performance.now();
  const component = await loadComponent(out);
  seconds.load = (performance.now() - start) / 1000;
  return component;
}

/** Runs the tiny suite and returns one report per component and per trace. */
export async function runTinySuite(opts: TinySuiteOptions): Promise<ComponentReport[]> {
  const wanted = (name: string) => !opts.only || opts.only.includes(name);
  const scenarios = E2E_SCENARIOS.filter((s) => wanted(s.name));
  // Whole runs need every component loaded; a component check alone needs only its own.
  const needed = new Set(COMPONENT_CHECKS.map((c) => c.name).filter((n) => wanted(n) || scenarios.length > 0));
  const loaded: Partial<Record<string, LoadedComponent>> = {};
  const reports: ComponentReport[] = [];
  const finish = (r: ComponentReport) => {
    reports.push(r);
    opts.onReport?.(r);
  };
  const stop = () => opts.stopOnFailure === true && reports.some((r) => !r.pass);
  try {
    for (const check of COMPONENT_CHECKS.filter((c) => needed.has(c.name))) {
      const dir = join(opts.set, check.name);
      const report: ComponentReport = {
        set: 'tiny',
        name: check.name,
        kind: 'component',
        backend: opts.backend,
        memory: {},
        seconds: {},
        checks: [],
        pass: false,
      };
      try {
        const component = await convertAndLoad(opts.set, check.name, opts.workDir, report.seconds);
        loaded[check.name] = component;
        report.parameters = component.manifest.parameterCount;
        report.memory.weightBytes = component.weightBytes;
        if (wanted(check.name)) {
          const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
          const inputs = await readSafetensors(join(dir, 'inputs.safetensors'));
          const outputs = await readSafetensors(join(dir, 'outputs.safetensors'));
          const run = await runComponentCheck(check, component, inputs, outputs, {
            set: 'tiny',
            dir,
            meta,
            tinyRoot: opts.set,
          });
          report.checks = run.checks;
          report.seconds.run = run.seconds;
          report.memory.peakBytes = run.peakBytes;
        }
      } catch (err) {
        report.error = (err as Error).message;
      }
      report.pass = !report.error && report.checks.every((c) => c.pass);
      if (wanted(check.name) || report.error) finish(report);
      if (stop()) return reports;
    }
    if (scenarios.length > 0) {
      const missing = COMPONENT_CHECKS.map((c) => c.name).filter((n) => !loaded[n]);
      const models: TinyModels | undefined =
        missing.length === 0
          ? {
              components: loaded as TinyModels['components'],
              clipTokenizer: await loadClipTokenizer(join(opts.set, 'tokenizers', 'clip_tiny'), {
                maxLength: loaded.prior!.config.num_embeddings as number,
              }),
              xlmrTokenizer: await loadXlmRobertaTokenizer(join(opts.set, 'tokenizers', 'xlmr_tiny')),
            }
          : undefined;
      for (const scenario of scenarios) {
        if (!models) {
          finish({
            set: 'tiny',
            name: scenario.name,
            kind: 'whole-run',
            backend: opts.backend,
            memory: {},
            seconds: {},
            checks: [],
            error: `not run: ${missing.join(', ')} did not load`,
            pass: false,
          });
          continue;
        }
        finish(await checkWholeRun(scenario, models, opts.set, opts.backend));
        if (stop()) return reports;
      }
    }
  } finally {
    for (const c of Object.values(loaded)) c?.dispose();
  }
  return reports;
}
