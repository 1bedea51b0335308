/**
 * Whole-run checks: each reference pipeline trace of the tiny set (`e2e_*`) rerun through this port's pipeline
 * stages with the real converted tiny models and the reference's random draws injected. Every model call's inputs
 * and outputs, every scheduler step and the final image or embeddings are compared with the trace.
 *
 * Tolerance per compared tensor: {@link toleranceFor} of its measured sensitivity. The trace is run twice, the second
 * time with every injected draw multiplied by `1 + 1e-6·N(0, 1)`; how far that moves each tensor is the run's own
 * float32 sensitivity at that point (the tiny random-weight models amplify changes through the loop and the MoVQ
 * decoder by up to ~1e3). Also checked: the calls come in the reference's order with the reference's number of
 * draws before each, and `SeededNoise` turns the trace's `generator_seed`s into its recorded draws.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedComponent } from '../models/load-component.js';
import type { DecoderComponents, PriorComponents } from '../pipelines/components.js';
import {
  decoderTextEncoderFrom,
  imageEncoderFrom,
  movqFrom,
  priorFrom,
  priorTextEncoderFrom,
  unetFrom,
} from '../pipelines/model-adapters.js';
import type { ComponentFolder } from '../pipelines/model-folder-layout.js';
import type { PromptTokenizer } from '../tokenizers/index.js';
import type { E2eScenario } from './e2e-scenarios.js';
import type { CheckResult, ComponentReport } from './report.js';
import { PERTURBATION_SEED, perturbValues, toleranceFor } from './tolerance.js';
import { TraceReplay } from './trace-replay.js';

/**
 * `SeededNoise` follows PyTorch's portable CPU `randn` kernel to ~3 float32 ulp; the reference may have drawn with
 * PyTorch's AVX2 kernel, which differs from the portable one by up to 2.2e-6 absolute.
 */
export const SEED_TOLERANCE = 1e-5;

/** The loaded tiny models and tokenizers a whole run needs. */
export interface TinyModels {
  components: Record<ComponentFolder, LoadedComponent>;
  clipTokenizer: PromptTokenizer;
  xlmrTokenizer: PromptTokenizer;
}

/** The pipelines' components for a trace: the real models, observed (inputs and outputs compared) by the trace. */
export function observedComponents(
  trace: TraceReplay,
  models: TinyModels,
  unet: 'unet' | 'unet_inpaint',
): { prior: PriorComponents; decoder: DecoderComponents } {
  const c = models.components;
  const observed = trace.observe({
    priorTextEncoder: priorTextEncoderFrom(c.prior_text_encoder),
    prior: priorFrom(c.prior),
    imageEncoder: imageEncoderFrom(c.image_encoder),
    textEncoder: decoderTextEncoderFrom(c.text_encoder),
    unet: unetFrom(c[unet]),
    movq: movqFrom(c.movq),
  });
  return {
    prior: {
      tokenizer: models.clipTokenizer,
      textEncoder: observed.priorTextEncoder,
      prior: observed.prior((x) => x, 0),
      imageEncoder: observed.imageEncoder(0),
    },
    decoder: {
      tokenizer: models.xlmrTokenizer,
      textEncoder: observed.textEncoder,
      unet: observed.unet(0),
      movq: observed.movq,
    },
  };
}

async function runOnce(scenario: E2eScenario, models: TinyModels, root: string, perturbed: boolean) {
  const trace = await TraceReplay.load(scenario.name, {
    root,
    record: true,
    perturbDraws: perturbed ? (draw, i) => perturbValues(draw, PERTURBATION_SEED + i) : undefined,
  });
  await scenario.run(trace, observedComponents(trace, models, scenario.unet));
  trace.finish();
  return trace;
}

/** Runs one whole-run check (two runs of the trace) and reports every compared tensor. */
export async function checkWholeRun(
  scenario: E2eScenario,
  models: TinyModels,
  root: string,
  backend: string,
): Promise<ComponentReport> {
  const report: ComponentReport = {
    set: 'tiny',
    name: scenario.name,
    kind: 'whole-run',
    backend,
    memory: {},
    seconds: {},
    checks: [],
    pass: false,
  };
  let leaked = 0;
  try {
    let start = performance.now();
    const trace = await runOnce(scenario, models, root, false);
    report.seconds.run = (performance.now() - start) / 1000;
    // Counted over the second run: the first may fill the layers' per-head weight caches (kept until disposal).
    const before = tf.memory().numTensors;
    start = performance.now();
    const moved = await runOnce(scenario, models, root, true);
    report.seconds.sensitivity = (performance.now() - start) / 1000;
    leaked = tf.memory().numTensors - before;

    report.checks.push({
      name: 'calls, order and draw counts',
      error: trace.problems.length,
      tolerance: 0,
      rule: 'exact',
      pass: trace.problems.length === 0,
      detail: trace.problems.length ? trace.problems.slice(0, 3).join('; ') : `${scenario.title}`,
    });
    for (const s of trace.drawsFromSeeds()) {
      report.checks.push({
        name: `${s.stage} draws from generator_seed ${s.seed}`,
        error: s.maxAbsDiff,
        tolerance: SEED_TOLERANCE,
        rule: 'SeededNoise vs torch.randn (portable ~3 ulp; AVX2 kernel <= 2.2e-6)',
        pass: s.maxAbsDiff <= SEED_TOLERANCE,
        detail: `${s.draws} recorded draws`,
      });
    }
    for (const [label, relative] of trace.relativeErrors) {
      const ours = trace.outputs.get(label);
      const other = moved.outputs.get(label);
      const scale = trace.scales.get(label) ?? 1;
      const sensitivity = ours && other && ours.length === other.length ? maxAbsDiff(ours, other) / scale : undefined;
      const tol = toleranceFor(sensitivity);
      report.checks.push(tensorCheck(label, relative, trace.errors.get(label)!, scale, tol));
    }
    if (trace.relativeErrors.size === 0) throw new Error('the trace compared no tensors');
  } catch (err) {
    report.error = (err as Error).message;
  }
  if (leaked !== 0 && !report.error) report.error = `${leaked} tensors left behind by the run`;
  report.pass = !report.error && report.checks.every((c) => c.pass);
  return report;
}

function tensorCheck(
  name: string,
  relative: number,
  maxAbsError: number,
  scale: number,
  tol: ReturnType<typeof toleranceFor>,
): CheckResult {
  return {
    name,
    error: relative,
    tolerance: tol.tolerance,
    rule: tol.rule,
    pass: relative <= tol.tolerance,
    maxAbsError,
    scale,
    sensitivity: tol.sensitivity,
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > m || Number.isNaN(d)) m = d;
  }
  return m;
}
