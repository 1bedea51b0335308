/**
 * Noise schedules computed the way the reference (PyTorch 1.13 CPU, float32 tensors) computes them, bit for bit:
 * the schedulers' coefficients are float32 0-dim tensors there, and some of them cancel catastrophically (UnCLIP's
 * `1 - ᾱ999/ᾱ749` is exactly 1 in float32), so a float64 schedule would drift from the reference by ~3e-4.
 */

const f32 = Math.fround;

/**
 * `torch.linspace(start, end, steps, dtype=float32)` as the CPU kernel computes it: `step = (end - start) / (steps - 1)`
 * in float32; the first half counts up from `start`, the second half down from `end`; values are produced in AVX2
 * vectors of 8 whose first lane is a fused multiply-add (`start + step * i`, rounded once) and whose other lanes add
 * `k * step` in float32, and the tail that does not fill two vectors is computed lane by lane.
 */
export function torchLinspaceFloat32(start: number, end: number, steps: number): Float32Array {
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`linspace needs at least 2 steps, got ${steps}`);
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  // Exact product in float64 (a 24-bit mantissa times an index below 2^29), rounded once: the FMA of the kernel.
  const at = (idx: number) => (idx < halfway ? f32(s + step * idx) : f32(e - step * (steps - idx - 1)));
  const out = new Float32Array(steps);
  const vectorEnd = Math.floor(steps / 16) * 16;
  for (let base = 0; base < vectorEnd; base += 8) {
    const first = at(base);
    for (let k = 0; k < 8; k++) out[base + k] = f32(first + f32(k * step));
  }
  for (let idx = vectorEnd; idx < steps; idx++) out[idx] = at(idx);
  return out;
}

/** diffusers `beta_schedule="linear"`: `torch.linspace(beta_start, beta_end, T, dtype=float32)`. */
export function linearBetas(betaStart: number, betaEnd: number, numTrainTimesteps: number): Float32Array {
  return torchLinspaceFloat32(betaStart, betaEnd, numTrainTimesteps);
}

/**
 * diffusers `betas_for_alpha_bar(T, "cosine")` (`squaredcos_cap_v2`, Nichol & Dhariwal 2021, eq. 17):
 * `β_i = min(1 - ᾱ((i+1)/T) / ᾱ(i/T), 0.999)`, `ᾱ(t) = cos((t + 0.008) / 1.008 · π/2)²`, in float64, then float32.
 */
export function squaredCosCapV2Betas(numTrainTimesteps: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float32Array(numTrainTimesteps);
  for (let i = 0; i < numTrainTimesteps; i++) {
    out[i] = Math.min(1 - alphaBar((i + 1) / numTrainTimesteps) / alphaBar(i / numTrainTimesteps), maxBeta);
  }
  return out;
}

/** `alphas = 1 - betas` in float32 (diffusers keeps them as a tensor). */
export function alphasFromBetas(betas: Float32Array): Float32Array {
  return betas.map((b) => f32(1 - b));
}

/**
 * `torch.cumprod(alphas, 0)` in float32: PyTorch's CPU kernel accumulates in double and rounds each output to
 * float32 (the accumulator is never rounded), which is what JS numbers do naturally.
 */
export function cumulativeProduct(alphas: Float32Array): Float32Array {
  const out = new Float32Array(alphas.length);
  let acc = 1;
  for (let i = 0; i < alphas.length; i++) {
    acc *= alphas[i];
    out[i] = acc;
  }
  return out;
}

/** The tables a discrete-time scheduler works from. */
export interface NoiseSchedule {
  betas: Float32Array;
  alphas: Float32Array;
  alphasCumprod: Float32Array;
}

/** Betas, alphas and ᾱ for a beta schedule. */
export function noiseSchedule(betas: Float32Array): NoiseSchedule {
  const alphas = alphasFromBetas(betas);
  return { betas, alphas, alphasCumprod: cumulativeProduct(alphas) };
}
