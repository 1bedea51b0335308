import { DdimScheduler } from './ddim-scheduler.js';
import { DdpmScheduler } from './ddpm-scheduler.js';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep.js';
import type { Scheduler, SchedulerName } from './scheduler.js';
import {
  KANDINSKY_DDIM_CONFIG,
  KANDINSKY_DDPM_CONFIG,
  KANDINSKY_UNCLIP_CONFIG,
  type RawSchedulerConfig,
} from './scheduler-config.js';
import { UnclipScheduler } from './unclip-scheduler.js';

/** The decoder samplers a request can choose (runner protocol `scheduler`). */
export const DECODER_SCHEDULERS = ['ddim', 'ddpm', 'dpmpp_2m'] as const;
export type DecoderSchedulerName = (typeof DECODER_SCHEDULERS)[number];

/**
 * A fresh scheduler (one per generation: multistep solvers keep state). `config` overrides the Kandinsky defaults
 * (a diffusers `scheduler_config.json`); DPM-Solver++ reads the decoder's training schedule from the DDIM config.
 */
export function createScheduler(name: SchedulerName, config?: RawSchedulerConfig): Scheduler {
  switch (name) {
    case 'ddim':
      return new DdimScheduler({ ...KANDINSKY_DDIM_CONFIG, ...config });
    case 'ddpm':
      return new DdpmScheduler({ ...KANDINSKY_DDPM_CONFIG, ...config });
    case 'dpmpp_2m':
      return new DpmSolverMultistepScheduler({ ...KANDINSKY_DDIM_CONFIG, ...config });
    case 'unclip':
      return new UnclipScheduler({ ...KANDINSKY_UNCLIP_CONFIG, ...config });
    default:
      throw new RangeError(`unknown scheduler "${name as string}"; supported: ddim, ddpm, dpmpp_2m, unclip`);
  }
}
