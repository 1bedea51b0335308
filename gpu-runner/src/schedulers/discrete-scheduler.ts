import type * as tf from '@tensorflow/tfjs';
import type { NoiseSchedule } from './beta-schedules.js';
import { type RawSchedulerConfig, read, scheduleFromConfig } from './scheduler-config.js';

/**
 * The set-up every scheduler here shares: the float32 tables (β, α, ᾱ) of the config's training noise schedule, its
 * length T (`num_train_timesteps`), and the inference timesteps the subclass's `setTimesteps` places with its own
 * spacing (empty until then).
 */
export abstract class DiscreteScheduler {
  readonly initNoiseSigma = 1;
  protected readonly schedule: NoiseSchedule;
  protected readonly numTrainTimesteps: number;
  protected current: number[] = [];

  /** `defaultBetaSchedule` is what diffusers' class assumes when the config names no `beta_schedule`. */
  constructor(config: RawSchedulerConfig, defaultBetaSchedule: 'linear' | 'squaredcos_cap_v2') {
    this.schedule = scheduleFromConfig(config, defaultBetaSchedule);
    this.numTrainTimesteps = read(config, 'num_train_timesteps', 1000);
  }

  get timesteps(): readonly number[] {
    return this.current;
  }
}

/** The timestep of step `index`, or a RangeError when the schedule has no such step. */
export function timestepAt(timesteps: readonly number[], index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= timesteps.length) {
    throw new RangeError(
      timesteps.length === 0
        ? 'setTimesteps() must be called before step()'
        : `step index ${index} is outside the ${timesteps.length}-step schedule`,
    );
  }
  return timesteps[index];
}

/** Refuses a model output that is not shaped like the sample (e.g. learned-variance channels left in). */
export function checkSameShape(modelOutput: tf.Tensor, sample: tf.Tensor, who: string): void {
  if (modelOutput.shape.join() !== sample.shape.join()) {
    throw new RangeError(
      `${who} step: model output [${modelOutput.shape}] must have the sample's shape [${sample.shape}] (drop learned-variance channels first)`,
    );
  }
}
