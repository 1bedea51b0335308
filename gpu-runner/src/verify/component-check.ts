/**
 * The shape of one component's check (one file per component in this folder) and the code that runs it: the
 * component file runs the pipelines' adapters on the fixture's saved inputs; this module compares what they return
 * with the saved reference outputs and measures time and memory on the backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from '../io/safetensors.js';
import type { LoadedComponent } from '../models/load-component.js';
import type { CheckResult } from './report.js';
import { distance, toleranceFor, toReferenceLayout } from './tolerance.js';

/** What a component check knows about where it runs. */
export interface CheckContext {
  /** Which fixture set the inputs come from. */
  set: 'tiny' | 'full';
  /** The component's fixture folder. */
  dir: string;
  /** Its `meta.json` (prompts for the text encoders, descriptions, reference timings). */
  meta: Record<string, unknown>;
  /** The tiny set's folder (its `tokenizers/` turn `meta.prompts` back into ids). */
  tinyRoot?: string;
  /** The reference outputs (a check that post-processes a reference tensor reads it here). */
  reference?: Map<string, HostTensor>;
  /** Batch rows to run where a fixture offers a one-row reference (`row0.*`: the full-size prior on slow backends). */
  rows?: 1 | 2;
}

/** One output of our port, to be compared with the reference output `name`. */
export interface PortOutput {
  name: string;
  ours: tf.Tensor;
  /** Ours is NHWC where the reference is NCHW. */
  nchw?: boolean;
  /** The same output computed from inputs perturbed by 1e-6 relative: makes this a sensitivity-checked output. */
  perturbed?: tf.Tensor;
}

/** One component's check. */
export interface ComponentCheck {
  /** The fixture folder and component kind (`movq`, `unet`, …). */
  name: string;
  /** Runs the pipelines' adapters on the saved inputs; the returned tensors are the caller's. */
  run(component: LoadedComponent, inputs: Map<string, HostTensor>, ctx: CheckContext): Promise<PortOutput[]>;
  /** Checks that need no model (e.g. the tokenizer gives the fixture's ids for the prompts in its metadata). */
  extra?(inputs: Map<string, HostTensor>, ctx: CheckContext): Promise<CheckResult[]>;
}

/** A host tensor as a float32 tf tensor; rank-4 NCHW reference tensors become NHWC when `nhwc`. */
export function toTensor(t: HostTensor | undefined, name: string, opts: { nhwc?: boolean; int?: boolean } = {}) {
  if (!t) throw new Error(`the fixture has no input "${name}"`);
  return tf.tidy(() => {
    const x = tf.tensor(t.data, t.shape, opts.int ? 'int32' : 'float32');
    return opts.nhwc && t.shape.length === 4 ? tf.transpose(x, [0, 2, 3, 1]) : x;
  });
}

/** The first value of a 0-d (or any) host tensor, e.g. a timestep. */
export function scalarOf(t: HostTensor | undefined, name: string): number {
  if (!t || t.data.length === 0) throw new Error(`the fixture has no input "${name}"`);
  return t.data[0];
}

/** Compares port outputs with the reference outputs; disposes the port tensors. */
export function compareOutputs(ported: PortOutput[], reference: Map<string, HostTensor>): CheckResult[] {
  const results: CheckResult[] = [];
  for (const out of ported) {
    const ref = reference.get(out.name);
    try {
      if (!ref) throw new Error('the fixture has no such reference output');
      const ours = toReferenceLayout(out.ours, ref, out.nchw ?? false);
      const d = distance(ours, ref.data);
      let sensitivity: number | undefined;
      if (out.perturbed) {
        const moved = distance(toReferenceLayout(out.perturbed, ref, out.nchw ?? false), ours);
        sensitivity = moved.maxAbsError / d.scale;
      }
      const tol = toleranceFor(sensitivity);
      results.push({
        name: out.name,
        error: d.relative,
        tolerance: tol.tolerance,
        rule: tol.rule,
        pass: d.relative <= tol.tolerance,
        maxAbsError: d.maxAbsError,
        scale: d.scale,
        sensitivity,
      });
    } catch (err) {
      results.push({
        name: out.name,
        error: Number.NaN,
        tolerance: 0,
        rule: 'comparable',
        pass: false,
        detail: (err as Error).message,
      });
    }
  }
  tf.dispose(ported.flatMap((o) => (o.perturbed ? [o.ours, o.perturbed] : [o.ours])));
  return results;
}

/** An exact comparison of integer sequences (token ids, masks): the error is the number of differing values. */
export function exactCheck(name: string, ours: ArrayLike<number>, ref: ArrayLike<number>, detail: string): CheckResult {
  let mismatches = Math.abs(ours.length - ref.length);
  for (let i = 0; i < Math.min(ours.length, ref.length); i++) if (ours[i] !== ref[i]) mismatches++;
  return { name, error: mismatches, tolerance: 0, rule: 'exact', pass: mismatches === 0, detail };
}

/**
 * Runs a component's check: the adapters under `tf.profile` (for the peak of tensor bytes on the backend), then
 * the comparison. Returns the results, the run time and the peak.
 */
export async function runComponentCheck(
  check: ComponentCheck,
  component: LoadedComponent,
  inputs: Map<string, HostTensor>,
  outputs: Map<string, HostTensor>,
  ctx: CheckContext,
): Promise<{ checks: CheckResult[]; seconds: number; peakBytes: number }> {
  const start = performance.now();
  let ported: PortOutput[] = [];
  const profile = await tf.profile(async () => {
    ported = await check.run(component, inputs, { ...ctx, reference: outputs });
    // Kernels may be queued (GPU backends): wait for the results inside the profiled stretch.
    await Promise.all(ported.flatMap((o) => [o.ours.data(), ...(o.perturbed ? [o.perturbed.data()] : [])]));
    return [];
  });
  const seconds = (performance.now() - start) / 1000;
  const checks = compareOutputs(ported, outputs);
  if (check.extra) checks.unshift(...(await check.extra(inputs, ctx)));
  return { checks, seconds, peakBytes: profile.peakBytes };
}
