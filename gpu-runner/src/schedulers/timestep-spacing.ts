/** How a scheduler places `count` inference steps on the `numTrainTimesteps` training timesteps. */

/** Checks an inference step count: a positive integer no larger than the training schedule. */
export function checkStepCount(count: number, numTrainTimesteps: number, min = 1): void {
  if (!Number.isInteger(count) || count < min || count > numTrainTimesteps) {
    throw new RangeError(
      `number of inference steps must be an integer in [${min}, ${numTrainTimesteps}], got ${count}`,
    );
  }
}

/**
 * diffusers `timestep_spacing="leading"`: `arange(count) * (T // count)`, reversed, plus `steps_offset`
 * (DDIM with offset 1 and 5 steps: 801, 601, 401, 201, 1).
 */
export function leadingTimesteps(count: number, numTrainTimesteps: number, stepsOffset: number): number[] {
  checkStepCount(count, numTrainTimesteps);
  const ratio = Math.floor(numTrainTimesteps / count);
  return Array.from({ length: count }, (_, i) => (count - 1 - i) * ratio + stepsOffset);
}

/**
 * UnCLIP's spacing: `round(arange(count) * (T - 1) / (count - 1))`, reversed, with NumPy's round-half-to-even
 * (5 steps: 999, 749, 500, 250, 0). Needs at least 2 steps (the reference divides by `count - 1`).
 */
export function unclipTimesteps(count: number, numTrainTimesteps: number): number[] {
  checkStepCount(count, numTrainTimesteps, 2);
  const ratio = (numTrainTimesteps - 1) / (count - 1);
  return Array.from({ length: count }, (_, i) => roundHalfToEven((count - 1 - i) * ratio));
}

/**
 * Evenly spaced from `T - 1` down towards 0, excluding 0 itself: `round(linspace(T - 1, 0, count + 1))[:count]`
 * (diffusers' `linspace` spacing for DPM-Solver; the last step goes from the final timestep to timestep 0).
 */
export function linspaceTimesteps(count: number, numTrainTimesteps: number): number[] {
  checkStepCount(count, numTrainTimesteps);
  const last = numTrainTimesteps - 1;
  return Array.from({ length: count }, (_, i) => roundHalfToEven(last - (last * i) / count));
}

/** NumPy's `round`: halves go to the even neighbour. */
export function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
