import { DiscreteScheduler } from './discrete-scheduler.js';
import { type RawSchedulerConfig, readStepsOffset, requireValue } from './scheduler-config.js';
import { leadingTimesteps } from './timestep-spacing.js';

/**
 * The timestep bookkeeping of diffusers' `timestep_spacing="leading"` schedulers (DDIM, DDPM): `n` steps `T // n`
 * apart plus `steps_offset`, each step going from `t` to `t - T // n`.
 */
export abstract class LeadingSpacingScheduler extends DiscreteScheduler {
  private readonly stepsOffset: number;

  constructor(config: RawSchedulerConfig, defaultBetaSchedule: 'linear' | 'squaredcos_cap_v2') {
    super(config, defaultBetaSchedule);
    requireValue(config, 'timestep_spacing', ['leading'], 'leading');
    this.stepsOffset = readStepsOffset(config);
  }

  setTimesteps(count: number): void {
    this.current = leadingTimesteps(count, this.numTrainTimesteps, this.stepsOffset);
  }

  /** The timestep a step from `t` lands on: `t - T // n`, negative after the schedule's last step. */
  protected previousTimestep(t: number): number {
    return t - Math.floor(this.numTrainTimesteps / this.current.length);
  }
}
