import { linearBetas, type NoiseSchedule, noiseSchedule, squaredCosCapV2Betas } from './beta-schedules.js';
import { SchedulerConfigError } from './scheduler.js';

/** A scheduler's `scheduler_config.json` as diffusers writes it (reference key names). */
export type RawSchedulerConfig = Record<string, unknown>;

/** Reads an optional config value of the expected type, or the default; wrong types are errors. */
export function read<T extends number | string | boolean | null>(
  config: RawSchedulerConfig,
  key: string,
  fallback: T,
): T {
  const value = config[key];
  if (value === undefined) return fallback;
  if (value === null && fallback === null) return value as T;
  if (value !== null && (fallback === null || typeof value === typeof fallback)) return value as T;
  throw new SchedulerConfigError(`scheduler config: ${key} must be a ${typeof fallback}, got ${JSON.stringify(value)}`);
}

/** Refuses a config value this port does not implement, naming it. */
export function requireValue(
  config: RawSchedulerConfig,
  key: string,
  supported: readonly unknown[],
  fallback: unknown,
) {
  const value = config[key] === undefined ? fallback : config[key];
  if (!supported.includes(value)) {
    throw new SchedulerConfigError(
      `scheduler config: ${key}=${JSON.stringify(value)} is not supported (supported: ${supported.map((v) => JSON.stringify(v)).join(', ')})`,
    );
  }
  return value;
}

/** `steps_offset` (added to every leading-spacing timestep): a non-negative integer, 0 when absent. */
export function readStepsOffset(config: RawSchedulerConfig): number {
  const stepsOffset = read(config, 'steps_offset', 0);
  if (!Number.isInteger(stepsOffset) || stepsOffset < 0) {
    throw new SchedulerConfigError(`scheduler config: steps_offset must be a non-negative integer, got ${stepsOffset}`);
  }
  return stepsOffset;
}

/** The training noise schedule a config describes (`linear` or `squaredcos_cap_v2`; no `trained_betas`). */
export function scheduleFromConfig(config: RawSchedulerConfig, defaultBetaSchedule: string): NoiseSchedule {
  const numTrainTimesteps = read(config, 'num_train_timesteps', 1000);
  if (!Number.isInteger(numTrainTimesteps) || numTrainTimesteps < 2) {
    throw new SchedulerConfigError(
      `scheduler config: num_train_timesteps must be an integer >= 2, got ${numTrainTimesteps}`,
    );
  }
  requireValue(config, 'trained_betas', [null], null);
  requireValue(config, 'rescale_betas_zero_snr', [false], false);
  const kind = requireValue(config, 'beta_schedule', ['linear', 'squaredcos_cap_v2'], defaultBetaSchedule);
  if (kind === 'linear') {
    return noiseSchedule(
      linearBetas(read(config, 'beta_start', 0.0001), read(config, 'beta_end', 0.02), numTrainTimesteps),
    );
  }
  return noiseSchedule(squaredCosCapV2Betas(numTrainTimesteps));
}

/** Kandinsky 2.1's decoder DDIM config (hub `scheduler/`; facts §1.4). */
export const KANDINSKY_DDIM_CONFIG: RawSchedulerConfig = {
  num_train_timesteps: 1000,
  beta_schedule: 'linear',
  beta_start: 0.00085,
  beta_end: 0.012,
  clip_sample: false,
  set_alpha_to_one: false,
  steps_offset: 1,
  prediction_type: 'epsilon',
  thresholding: false,
};

/** Kandinsky 2.1's decoder DDPM config (hub `ddpm_scheduler/`; facts §1.4). */
export const KANDINSKY_DDPM_CONFIG: RawSchedulerConfig = {
  num_train_timesteps: 1000,
  beta_schedule: 'linear',
  beta_start: 0.00085,
  beta_end: 0.012,
  clip_sample: true,
  clip_sample_range: 2.0,
  sample_max_value: null,
  prediction_type: 'epsilon',
  variance_type: 'learned_range',
  thresholding: true,
};

/** Kandinsky 2.1's prior UnCLIP config (facts §1.3). */
export const KANDINSKY_UNCLIP_CONFIG: RawSchedulerConfig = {
  num_train_timesteps: 1000,
  beta_schedule: 'squaredcos_cap_v2',
  variance_type: 'fixed_small_log',
  prediction_type: 'sample',
  clip_sample: true,
  clip_sample_range: 10.0,
};
