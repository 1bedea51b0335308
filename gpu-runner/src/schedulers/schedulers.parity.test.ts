import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { maxAbsDiff, nchwToNhwc, TINY, tinyFixture } from '../../test/helpers/tensors.js';
import type { HostTensor } from '../io/safetensors.js';
import { ReplayNoise } from '../random/replay-noise.js';
import { addNoiseFromSchedule } from './add-noise.js';
import { linearBetas, noiseSchedule, squaredCosCapV2Betas } from './beta-schedules.js';
import { DdimScheduler } from './ddim-scheduler.js';
import { DdpmScheduler } from './ddpm-scheduler.js';
import type { Scheduler } from './scheduler.js';
import { UnclipScheduler } from './unclip-scheduler.js';

/**
 * Tolerance of a whole 5- or 25-step trace fed back into itself (our prev_sample is the next step's input), every
 * step checked. Reached on wasm: DDIM 0 (bit-exact), DDPM <= 4.8e-7, UnCLIP <= 2.4e-7 (values up to ~90 / 17 / 10):
 * a few float32 ulps from PyTorch's operation order.
 */
const TRACE_TOL = 1e-6;

const dir = join(TINY, 'schedulers');
const json = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));
/** The traces of the set, by scheduler: `<name>_trace_<steps>.json`. */
const traceSteps = (name: string) =>
  readdirSync(dir)
    .map((f) => new RegExp(`^${name}_trace_(\\d+)\\.json$`).exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);

/** The training noise schedule a scheduler config describes. */
function scheduleOf(config: {
  beta_schedule?: string;
  beta_start?: number;
  beta_end?: number;
  num_train_timesteps: number;
}) {
  return noiseSchedule(
    config.beta_schedule === 'squaredcos_cap_v2'
      ? squaredCosCapV2Betas(config.num_train_timesteps)
      : linearBetas(config.beta_start!, config.beta_end!, config.num_train_timesteps),
  );
}

describe('noise schedules match the reference tables bit for bit', () => {
  it('betas and alphas_cumprod of each scheduler config (DDIM, DDPM, UnCLIP)', async () => {
    const tables = await tinyFixture('schedulers', 'tables.safetensors');
    for (const prefix of ['ddim', 'ddpm', 'unclip'] as const) {
      const schedule = scheduleOf(json(`${prefix}_config.json`));
      expect(Array.from(schedule.betas), `${prefix}.betas`).toEqual(Array.from(tables.get(`${prefix}.betas`)!.data));
      expect(Array.from(schedule.alphasCumprod), `${prefix}.alphas_cumprod`).toEqual(
        Array.from(tables.get(`${prefix}.alphas_cumprod`)!.data),
      );
    }
  });
});

describe('timesteps for every reference step count', () => {
  const reference = json('timesteps.json') as Record<
    string,
    { init_noise_sigma: number; timesteps: Record<string, number[]> }
  >;
  const make: Record<string, () => Scheduler> = {
    ddim: () => new DdimScheduler(json('ddim_config.json')),
    ddpm: () => new DdpmScheduler(json('ddpm_config.json')),
    unclip: () => new UnclipScheduler(json('unclip_config.json')),
  };
  for (const [name, ref] of Object.entries(reference)) {
    it(`${name}: n = ${Object.keys(ref.timesteps).join(', ')}`, () => {
      const scheduler = make[name]();
      expect(scheduler.initNoiseSigma).toBe(ref.init_noise_sigma);
      for (const [n, expected] of Object.entries(ref.timesteps)) {
        scheduler.setTimesteps(Number(n));
        expect(scheduler.timesteps, `${name} n=${n}`).toEqual(expected);
      }
    });
  }

  it('refuses step counts the reference cannot do (0, fractions, more than 1000; UnCLIP needs 2)', () => {
    for (const bad of [0, -1, 2.5, 1001, Number.NaN]) expect(() => make.ddim().setTimesteps(bad)).toThrow(RangeError);
    expect(() => make.unclip().setTimesteps(1)).toThrow(/\[2, 1000\]/);
  });
});

interface TraceStep {
  i: number;
  t: number;
  prev_timestep: number | null;
  noise_drawn: boolean;
}

/** NCHW reference latents -> NHWC; [B, D] embeddings stay as they are. */
function toOurs(t: HostTensor): tf.Tensor {
  return t.shape.length === 4 ? nchwToNhwc(t) : tf.tensor(t.data, t.shape, 'float32');
}

async function runTrace(name: 'ddim' | 'ddpm' | 'unclip', n: number): Promise<Record<string, number>> {
  const meta = json(`${name}_trace_${n}.json`) as { config: Record<string, unknown>; steps: TraceStep[] };
  const tensors = await tinyFixture('schedulers', `${name}_trace_${n}.safetensors`);
  const scheduler =
    name === 'ddim'
      ? new DdimScheduler(meta.config)
      : name === 'ddpm'
        ? new DdpmScheduler(meta.config)
        : new UnclipScheduler(meta.config);
  scheduler.setTimesteps(n);
  expect(scheduler.timesteps).toEqual(meta.steps.map((s) => s.t));
  const key = (i: number, what: string) => `step.${String(i).padStart(3, '0')}.${what}`;
  const draws = meta.steps
    .filter((s) => s.noise_drawn)
    .map((s) => tensors.get(key(s.i, 'noise'))!)
    .map((h) => ({ shape: h.shape, data: h.data as Float32Array }));
  const noise = new ReplayNoise(draws);
  const errors: Record<string, number> = {};
  let sample = toOurs(tensors.get('sample.init')!);
  for (const s of meta.steps) {
    const modelOutput = toOurs(tensors.get(key(s.i, 'model_output'))!);
    const out = scheduler.step({ index: s.i, modelOutput, sample, noise });
    const nchw = out.prevSample.rank === 4;
    errors[key(s.i, 'prev_sample')] = maxAbsDiff(out.prevSample, tensors.get(key(s.i, 'prev_sample'))!, { nchw });
    errors[key(s.i, 'pred_original_sample')] = maxAbsDiff(
      out.predOriginalSample,
      tensors.get(key(s.i, 'pred_original_sample'))!,
      {
        nchw,
      },
    );
    tf.dispose([sample, modelOutput, out.predOriginalSample]);
    sample = out.prevSample;
  }
  sample.dispose();
  noise.assertExhausted();
  return errors;
}

describe('step-by-step parity with the reference traces (saved noise injected, our output fed back)', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('the fixture set has traces of every scheduler', () => {
    for (const name of ['ddim', 'ddpm', 'unclip']) expect(traceSteps(name).length, name).toBeGreaterThan(0);
  });

  for (const name of ['ddim', 'ddpm', 'unclip'] as const) {
    for (const n of traceSteps(name)) {
      it(`${name}, ${n} steps: every prev_sample and pred_original_sample within ${TRACE_TOL}`, async () => {
        const before = tf.memory().numTensors;
        const errors = await runTrace(name, n);
        expect(Object.keys(errors)).toHaveLength(2 * n);
        for (const [k, err] of Object.entries(errors)) expect(err, k).toBeLessThan(TRACE_TOL);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});

describe('add_noise', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it("matches the DDIM scheduler's and the img2img pipeline's own (betas 1e-4..0.02) reference noising", async () => {
    const t = await tinyFixture('schedulers', 'add_noise.safetensors');
    const x0 = nchwToNhwc(t.get('x0')!);
    const noise = nchwToNhwc(t.get('noise')!);
    const timesteps = Array.from(t.get('timesteps')!.data);
    const ddim = new DdimScheduler(json('ddim_config.json')).addNoise(x0, noise, timesteps);
    const img2img = addNoiseFromSchedule(
      noiseSchedule(linearBetas(0.0001, 0.02, 1000)).alphasCumprod,
      x0,
      noise,
      timesteps,
    );
    expect(maxAbsDiff(ddim, t.get('ddim_scheduler_add_noise')!, { nchw: true })).toBeLessThan(1e-6);
    expect(maxAbsDiff(img2img, t.get('img2img_pipeline_add_noise')!, { nchw: true })).toBeLessThan(1e-6);
    tf.dispose([x0, noise, ddim, img2img]);
  });
});
