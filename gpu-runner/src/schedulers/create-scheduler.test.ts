import { describe, expect, it } from 'vitest';
import { createScheduler } from './create-scheduler.js';
import { DdpmScheduler } from './ddpm-scheduler.js';
import { quantileSorted } from './dynamic-threshold.js';
import { SchedulerConfigError } from './scheduler.js';
import { roundHalfToEven } from './timestep-spacing.js';
import { UnclipScheduler } from './unclip-scheduler.js';

describe('createScheduler and scheduler configs', () => {
  it('makes each named scheduler with the Kandinsky defaults', () => {
    for (const name of ['ddim', 'ddpm', 'dpmpp_2m', 'unclip'] as const) expect(createScheduler(name).name).toBe(name);
    expect(createScheduler('ddpm').learnedVariance).toBe(true);
    expect(createScheduler('ddim').learnedVariance).toBe(false);
    expect(() => createScheduler('euler' as never)).toThrow(/unknown scheduler "euler"/);
  });

  it('refuses config values it does not implement, naming them', () => {
    expect(() => createScheduler('ddim', { prediction_type: 'v_prediction' })).toThrow(SchedulerConfigError);
    expect(() => createScheduler('ddim', { prediction_type: 'v_prediction' })).toThrow(
      /prediction_type="v_prediction"/,
    );
    expect(() => new DdpmScheduler({ variance_type: 'fixed_small' })).toThrow(/variance_type/);
    expect(() => new UnclipScheduler({ beta_schedule: 'scaled_linear' })).toThrow(/beta_schedule/);
    expect(() => createScheduler('ddim', { timestep_spacing: 'trailing' })).toThrow(/timestep_spacing/);
    expect(() => createScheduler('ddim', { steps_offset: 'one' })).toThrow(/steps_offset must be a number/);
    for (const name of ['ddim', 'ddpm'] as const) {
      expect(() => createScheduler(name, { steps_offset: -1 })).toThrow(/steps_offset must be a non-negative integer/);
    }
  });

  it('step() before setTimesteps() or past the end is an error', () => {
    const s = createScheduler('ddim');
    expect(() => s.step({ index: 0 } as never)).toThrow(/setTimesteps/);
    s.setTimesteps(2);
    expect(() => s.step({ index: 2 } as never)).toThrow(/outside the 2-step schedule/);
  });
});

describe('numeric helpers', () => {
  it("rounds halves to even like NumPy's round", () => {
    expect([0.5, 1.5, 2.5, 249.75, 499.5, 749.25].map(roundHalfToEven)).toEqual([0, 2, 2, 250, 500, 749]);
  });

  it('interpolates quantiles like torch.quantile (linear)', () => {
    const sorted = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(quantileSorted(sorted, 0.5)).toBe(5);
    expect(quantileSorted(sorted, 0.995)).toBeCloseTo(9.95, 5);
    expect(quantileSorted(sorted, 1)).toBe(10);
    expect(quantileSorted(Float32Array.from([2]), 0.995)).toBe(2);
  });
});
