// Over 400 lines on purpose: the fake and the observing replay share one per-call wrapper (`wrap`), kept together.
/**
 * Replays a reference pipeline trace (`e2e_*` of the tiny fixture set: every model call's inputs and outputs, every
 * scheduler step and every random draw of a diffusers run) against this port's pipelines. Used by the pipeline
 * parity tests and by `kandinsky verify` (whole-run checks), so it ships with the package.
 *
 * - {@link TraceReplay.fakes} are model fakes that check each call against the recorded one (call order, number of
 *   random draws made so far, every input within tolerance) and return the recorded outputs, so the pipeline logic
 *   is tested on its own, with errors that cannot accumulate through the models.
 * - {@link TraceReplay.observe} wraps real models the same way but returns their own outputs, and records how far
 *   they are from the reference, for whole-run parity with the converted tiny models.
 * - {@link TraceReplay.scheduler} wraps a scheduler and checks each step's inputs and outputs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type HostTensor, readSafetensors } from '../io/safetensors.js';
import type {
  DecoderTextEncoder,
  DecoderUNet,
  ImageEncoder,
  MoVQ,
  PriorInputs,
  PriorModel,
  PriorTextEncoder,
  UNetInputs,
} from '../pipelines/components.js';
import type { NoiseSource } from '../random/noise-source.js';
import { ReplayNoise } from '../random/replay-noise.js';
import { SeededNoise } from '../random/seeded-noise.js';
import type { Scheduler, SchedulerStepInput, SchedulerStepOutput } from '../schedulers/scheduler.js';
import { tinyFixtures } from './fixture-root.js';

/** The trace's recorded draws, `randn.000` first. */
function drawNames(tensors: Map<string, HostTensor>): string[] {
  return [...tensors.keys()].filter((k) => /^randn\.\d+$/.test(k)).sort();
}

function requireSeed(seed: unknown, what: string): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new Error(`${what} is missing from trace.json`);
  return seed;
}

interface TraceCall {
  call: string;
  randn_before: number;
  randn_after: number;
}

/** Counts draws so calls can be checked against the trace's `randn_before`. */
class CountingNoise implements NoiseSource {
  count = 0;
  constructor(readonly inner: ReplayNoise) {}
  normal(shape: readonly number[]): tf.Tensor {
    const t = this.inner.normal(shape);
    this.count++;
    return t;
  }
}

/**
 * Reference layout -> ours: rank-4 torch tensors (NCHW) become NHWC, everything else keeps its shape (bool/int
 * become float). `final.image_np` is already NHWC (numpy output of the pipeline).
 */
export function hostToOurs(t: HostTensor, key = ''): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.tensor(t.data, t.shape, 'float32');
    return t.shape.length === 4 && !key.startsWith('final.image_np') ? tf.transpose(x, [0, 2, 3, 1]) : x;
  });
}

/** How a trace is loaded. */
export interface TraceLoadOptions {
  /** The tiny fixture set holding `<name>/trace.json` (default: the active set, see `verify/fixture-root.ts`). */
  root?: string;
  /**
   * Replaces each replayed random draw (in order, `index` 0 first) by what this returns. `kandinsky verify` multiplies
   * them by `1 + 1e-6·N(0, 1)`: rerunning a trace that way measures how far float32-sized input changes move each
   * checked tensor (the run's own sensitivity).
   */
  perturbDraws?: (draw: Float32Array, index: number) => Float32Array;
  /** Keep a copy of every compared tensor of ours (`outputs`), e.g. to compare two runs. */
  record?: boolean;
}

/** A generator stream of the trace: its seed (from trace.json) and which recorded draws (`randn.NNN`) it made. */
export interface SeedStream {
  /** `prior` or `decoder` when the stages had their own generators, else `pipeline`. */
  stage: 'prior' | 'decoder' | 'pipeline';
  seed: number;
  draws: number[];
}

export class TraceReplay {
  /** Largest |ours - reference| per checked tensor name (inputs of calls, scheduler inputs/outputs). */
  readonly errors = new Map<string, number>();
  /** The same divided by max(1, max |reference|): the error relative to the tensor's scale. */
  readonly relativeErrors = new Map<string, number>();
  /** max(1, max |reference|) per checked tensor name. */
  readonly scales = new Map<string, number>();
  /** With `record`: our values of every checked tensor (the last comparison of each name). */
  readonly outputs = new Map<string, Float32Array>();
  /** Problems that are not numeric (order, shapes, draw counts); a correct run leaves this empty. */
  readonly problems: string[] = [];
  readonly noise: CountingNoise;
  private readonly modelCalls: TraceCall[];
  private next = 0;

  private readonly record: boolean;

  private constructor(
    readonly name: string,
    /** The tiny fixture set this trace came from (its other folders hold e.g. the image processor config). */
    readonly root: string,
    readonly meta: Record<string, unknown> & { calls: TraceCall[] },
    readonly tensors: Map<string, HostTensor>,
    opts: TraceLoadOptions,
  ) {
    this.record = opts.record ?? false;
    this.modelCalls = meta.calls.filter((c) => !/scheduler\.step|add_noise/.test(c.call));
    const draws = drawNames(tensors).map((k, i) => {
      const data = tensors.get(k)!.data as Float32Array;
      return { shape: tensors.get(k)!.shape, data: opts.perturbDraws ? opts.perturbDraws(data, i) : data };
    });
    this.noise = new CountingNoise(new ReplayNoise(draws));
  }

  static async load(name: string, opts: TraceLoadOptions = {}): Promise<TraceReplay> {
    const root = opts.root ?? tinyFixtures();
    const meta = JSON.parse(await readFile(join(root, name, 'trace.json'), 'utf8'));
    return new TraceReplay(name, root, meta, await readSafetensors(join(root, name, 'trace.safetensors')), opts);
  }

  /**
   * The trace's generator streams, from its metadata: a prior and a decoder generator each seeded with their own
   * `generator_seed` (and listing their `randn_indices`), or one generator (`generator_seed`) that made every draw.
   */
  seedStreams(): SeedStream[] {
    const stage = (k: string) => this.meta[k] as { generator_seed?: number; randn_indices?: number[] } | undefined;
    const prior = stage('prior');
    const decoder = stage('decoder');
    const all = drawNames(this.tensors).map((_, i) => i);
    if (prior?.randn_indices && decoder?.randn_indices) {
      return [
        {
          stage: 'prior',
          seed: requireSeed(prior.generator_seed, `${this.name}: prior.generator_seed`),
          draws: prior.randn_indices,
        },
        {
          stage: 'decoder',
          seed: requireSeed(decoder.generator_seed, `${this.name}: decoder.generator_seed`),
          draws: decoder.randn_indices,
        },
      ];
    }
    const seed = (this.meta.generator_seed as number | undefined) ?? decoder?.generator_seed ?? prior?.generator_seed;
    return [{ stage: 'pipeline', seed: requireSeed(seed, `${this.name}: generator_seed`), draws: all }];
  }

  /**
   * How far `SeededNoise(seed)` is from every recorded draw of each of the trace's generator streams (max abs), i.e.
   * whether this port turns the metadata's seeds into the reference's random numbers.
   */
  drawsFromSeeds(): { stage: SeedStream['stage']; seed: number; draws: number; maxAbsDiff: number }[] {
    const names = drawNames(this.tensors);
    return this.seedStreams().map(({ stage, seed, draws }) => {
      const noise = new SeededNoise(seed);
      let maxAbsDiff = 0;
      for (const i of draws) {
        const recorded = this.tensors.get(names[i]);
        if (!recorded) throw new Error(`${this.name}: metadata lists draw ${i}, the trace has ${names.length}`);
        const ours = noise.normalValues(recorded.data.length);
        for (let j = 0; j < ours.length; j++) {
          const d = Math.abs(ours[j] - recorded.data[j]);
          if (d > maxAbsDiff || Number.isNaN(d)) maxAbsDiff = d;
        }
      }
      return { stage, seed, draws: draws.length, maxAbsDiff };
    });
  }

  /** A saved tensor in our layout (the caller owns it). */
  tensor(key: string): tf.Tensor {
    const t = this.tensors.get(key);
    if (!t) throw new Error(`${this.name}: no tensor ${key}`);
    return hostToOurs(t, key);
  }

  /** Whether every recorded model call was made (in order) and every draw used. */
  finish(): void {
    if (this.next !== this.modelCalls.length) {
      this.problems.push(
        `${this.modelCalls.length - this.next} recorded model calls never made (next: ${this.modelCalls[this.next]?.call})`,
      );
    }
    try {
      this.noise.inner.assertExhausted();
    } catch (err) {
      this.problems.push((err as Error).message);
    }
  }

  /** Compares `ours` with a saved tensor and records the error. */
  compare(key: string, ours: tf.Tensor, label = key): void {
    const ref = this.tensors.get(key);
    if (!ref) {
      this.problems.push(`no reference tensor ${key}`);
      return;
    }
    const expected = hostToOurs(ref, key);
    if (expected.shape.join() !== ours.shape.join()) {
      this.problems.push(`${label}: shape [${ours.shape}] vs reference [${expected.shape}]`);
    } else {
      const [err, scale] = tf.tidy(() => [
        tf.max(tf.abs(tf.sub(tf.cast(ours, 'float32'), expected))).dataSync()[0],
        Math.max(1, tf.max(tf.abs(expected)).dataSync()[0]),
      ]);
      // Math.max keeps a NaN: a kernel that produced one must fail, whatever later comparisons give.
      const worst = (prev: number | undefined, v: number) => (prev === undefined ? v : Math.max(prev, v));
      this.errors.set(label, worst(this.errors.get(label), err));
      this.relativeErrors.set(label, worst(this.relativeErrors.get(label), err / scale));
      this.scales.set(label, scale);
      if (this.record)
        this.outputs.set(
          label,
          tf.tidy(() => tf.cast(ours, 'float32').dataSync() as Float32Array),
        );
    }
    expected.dispose();
  }

  /** Takes the next recorded model call, which must be of `kind` (e.g. `decoder.unet`), and checks the draw count. */
  private take(kind: string): string {
    const call = this.modelCalls[this.next];
    if (!call?.call.startsWith(`${kind}.`)) {
      const problem = `call ${this.next}: pipeline called ${kind}, reference called ${call?.call ?? 'nothing'}`;
      this.problems.push(problem);
      throw new Error(problem);
    }
    if (this.noise.count !== call.randn_before) {
      this.problems.push(`${call.call}: ${this.noise.count} draws made before it, reference made ${call.randn_before}`);
    }
    this.next++;
    return call.call;
  }

  private scalar(key: string, value: number, label: string): void {
    const ref = this.tensors.get(key);
    if (!ref || ref.data[0] !== value) this.problems.push(`${label}: ${value}, reference ${ref?.data[0]}`);
  }

  /** Fake models returning the recorded outputs after checking inputs. */
  fakes(): {
    priorTextEncoder: PriorTextEncoder;
    prior: (postProcess: (x: tf.Tensor2D) => tf.Tensor2D, textLength: number) => PriorModel;
    imageEncoder: (imageSize: number) => ImageEncoder;
    textEncoder: DecoderTextEncoder;
    unet: (inChannels: number) => DecoderUNet;
    movq: MoVQ;
  } {
    return this.wrap(undefined);
  }

  /** Real models, checked and measured against the trace (their own outputs are returned). */
  observe(real: {
    priorTextEncoder?: PriorTextEncoder;
    prior?: PriorModel;
    imageEncoder?: ImageEncoder;
    textEncoder?: DecoderTextEncoder;
    unet?: DecoderUNet;
    movq?: MoVQ;
  }) {
    return this.wrap(real);
  }

  private wrap(real: Parameters<TraceReplay['observe']>[0] | undefined) {
    const out = (key: string, ours: () => tf.Tensor): tf.Tensor => {
      if (!real) return this.tensor(key);
      const value = ours();
      this.compare(key, value, `${key} (real model output)`);
      return value;
    };
    const self = this;
    const priorTextEncoder: PriorTextEncoder = {
      encode(inputIds) {
        const call = self.take('prior.text_encoder');
        self.compare(`${call}.arg0`, inputIds);
        const result = real?.priorTextEncoder?.encode(inputIds);
        return {
          textEmbeds: out(`${call}.out.text_embeds`, () => result!.textEmbeds) as tf.Tensor2D,
          lastHiddenState: out(`${call}.out.last_hidden_state`, () => result!.lastHiddenState) as tf.Tensor3D,
        };
      },
    };
    const prior = (postProcess: (x: tf.Tensor2D) => tf.Tensor2D, textLength: number): PriorModel => ({
      textLength: real?.prior?.textLength ?? textLength,
      predict(inputs: PriorInputs) {
        const call = self.take('prior.prior');
        self.compare(`${call}.arg0`, inputs.latents);
        self.scalar(`${call}.timestep`, inputs.timestep, `${call}.timestep`);
        self.compare(`${call}.proj_embedding`, inputs.textEmbeds);
        self.compare(`${call}.encoder_hidden_states`, inputs.textHidden);
        self.compare(`${call}.attention_mask`, inputs.textMask);
        return out(`${call}.out.predicted_image_embedding`, () => real!.prior!.predict(inputs)) as tf.Tensor2D;
      },
      postProcess: (x) => (real?.prior ? real.prior.postProcess(x) : postProcess(x)),
    });
    const imageEncoder = (imageSize: number): ImageEncoder => ({
      imageSize: real?.imageEncoder?.imageSize ?? imageSize,
      encode(pixels) {
        const call = self.take('prior.image_encoder');
        self.compare(`${call}.arg0`, pixels);
        return out(`${call}.out.image_embeds`, () => real!.imageEncoder!.encode(pixels)) as tf.Tensor2D;
      },
    });
    const textEncoder: DecoderTextEncoder = {
      encode(inputIds, attentionMask) {
        const call = self.take('decoder.text_encoder');
        self.compare(`${call}.input_ids`, inputIds);
        self.compare(`${call}.attention_mask`, attentionMask);
        const result = real?.textEncoder?.encode(inputIds, attentionMask);
        return {
          pooled: out(`${call}.out.0`, () => result!.pooled) as tf.Tensor2D,
          hidden: out(`${call}.out.1`, () => result!.hidden) as tf.Tensor3D,
        };
      },
    };
    const unet = (inChannels: number): DecoderUNet => ({
      inChannels: real?.unet?.inChannels ?? inChannels,
      outChannels: real?.unet?.outChannels ?? 8,
      predict(inputs: UNetInputs) {
        const call = self.take('decoder.unet');
        self.compare(`${call}.sample`, inputs.sample);
        self.scalar(`${call}.timestep`, inputs.timestep, `${call}.timestep`);
        self.compare(`${call}.encoder_hidden_states`, inputs.textHidden);
        self.compare(`${call}.added_cond_kwargs.text_embeds`, inputs.textEmbeds);
        self.compare(`${call}.added_cond_kwargs.image_embeds`, inputs.imageEmbeds);
        return out(`${call}.out.0`, () => real!.unet!.predict(inputs)) as tf.Tensor4D;
      },
    });
    const movq: MoVQ = {
      latentChannels: real?.movq?.latentChannels ?? 4,
      encode(image) {
        const call = self.take('decoder.movq.encode');
        self.compare(`${call}.arg0`, image);
        return out(`${call}.out.latents`, () => real!.movq!.encode(image)) as tf.Tensor4D;
      },
      decode(latents) {
        const call = self.take('decoder.movq.decode');
        self.compare(`${call}.arg0`, latents);
        return out(`${call}.out.sample`, () => real!.movq!.decode(latents)) as tf.Tensor4D;
      },
    };
    return { priorTextEncoder, prior, imageEncoder, textEncoder, unet, movq };
  }

  /**
   * Wraps a scheduler so every step's model output and sample (inputs) and prev/pred-original sample (outputs) are
   * compared with the recorded `<stage>.scheduler.step.NNN`, and the draws it makes with the recorded counts.
   */
  scheduler(stage: 'prior' | 'decoder', inner: Scheduler): Scheduler {
    const self = this;
    let count = 0;
    const stepCalls = this.meta.calls.filter((c) => c.call.startsWith(`${stage}.scheduler.step.`));
    return {
      get name() {
        return inner.name;
      },
      initNoiseSigma: inner.initNoiseSigma,
      learnedVariance: inner.learnedVariance,
      get timesteps() {
        return inner.timesteps;
      },
      setTimesteps: (n: number) => inner.setTimesteps(n),
      dispose: () => inner.dispose(),
      step(input: SchedulerStepInput): SchedulerStepOutput {
        const call = stepCalls[count++];
        if (!call) {
          self.problems.push(`${stage}: more scheduler steps than recorded`);
          return inner.step(input);
        }
        const name = call.call;
        const decoderStyle = self.tensors.has(`${name}.arg2`);
        self.compare(`${name}.arg0`, input.modelOutput, `${name}.model_output`);
        self.compare(decoderStyle ? `${name}.arg2` : `${name}.sample`, input.sample, `${name}.sample`);
        const t = inner.timesteps[input.index];
        self.scalar(decoderStyle ? `${name}.arg1` : `${name}.timestep`, t, `${name}.timestep`);
        if (self.noise.count !== call.randn_before) {
          self.problems.push(`${name}: ${self.noise.count} draws before, reference ${call.randn_before}`);
        }
        const result = inner.step(input);
        if (self.noise.count !== call.randn_after) {
          self.problems.push(`${name}: ${self.noise.count} draws after, reference ${call.randn_after}`);
        }
        self.compare(`${name}.out.prev_sample`, result.prevSample);
        self.compare(`${name}.out.pred_original_sample`, result.predOriginalSample);
        return result;
      },
    };
  }
}
