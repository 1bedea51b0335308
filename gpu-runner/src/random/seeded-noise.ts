import * as tf from '@tensorflow/tfjs';
import { Mt19937 } from './mt19937.js';
import type { NoiseSource } from './noise-source.js';

/** Draws smaller than this use PyTorch's scalar path, which this class does not reproduce (see {@link SeededNoise}). */
const BLOCK = 16;
const TWO_PI = 2 * Math.PI;

/**
 * A seeded N(0, 1) source that follows PyTorch's CPU `torch.randn` for float32 (ATen `normal_fill`): MT19937 seeded
 * with `seed`; one uniform per element, `u = (bits & (2^24 - 1)) / 2^24`; then Box-Muller over blocks of 16
 * (`r = sqrt(-2 ln(1 - u[j]))`, `θ = 2π u[j+8]`, `z[j] = r cos θ`, `z[j+8] = r sin θ` for j < 8), and when the count
 * is not a multiple of 16 the last 16 values are redrawn from 16 fresh uniforms and transformed again.
 *
 * Which PyTorch it reproduces: torch 1.13 has two float32 CPU kernels for `randn` of 16 or more values. Both consume
 * the MT19937 stream identically (which uniform feeds which value is exact here, on every backend), but they compute
 * Box-Muller differently. This class follows the PORTABLE kernel (`normal_fill_16`, float32 `logf`/`sqrtf`/`cosf`/
 * `sinf`; what `ATEN_CPU_CAPABILITY=default` selects): it computes in float64 and rounds once, and agrees with it to
 * ~3 float32 ulp (1M draws of one seed: 31 % differ, by at most 3 ulp, 7.2e-7 absolute). PyTorch's AVX2 kernel
 * (`normal_fill_16_AVX2`, approximate log/sincos; what most x86-64 machines run by default) differs from the portable
 * one by up to 2.2e-6 absolute (worst where cos/sin are near 0), so against plain `torch.randn` on such a machine
 * expect differences of that size. Either way `seed` gives the reference's image up to float32-level noise.
 * Draws with fewer than 16 values are padded to one block of 16 and truncated (PyTorch uses a different scalar
 * algorithm there); Kandinsky never draws fewer than 16 values.
 */
export class SeededNoise implements NoiseSource {
  private readonly rng: Mt19937;

  constructor(readonly seed: number) {
    this.rng = new Mt19937(seed);
  }

  normal(shape: readonly number[]): tf.Tensor {
    const count = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(this.normalValues(count), [...shape], 'float32');
  }

  /** `count` draws as a Float32Array (what {@link normal} wraps). */
  normalValues(count: number): Float32Array {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`cannot draw ${count} values`);
    if (count === 0) return new Float32Array(0);
    const n = Math.max(count, BLOCK);
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = this.uniform();
    for (let i = 0; i + BLOCK <= n; i += BLOCK) boxMuller16(data, i);
    if (n % BLOCK !== 0) {
      const start = n - BLOCK;
      for (let i = 0; i < BLOCK; i++) data[start + i] = this.uniform();
      boxMuller16(data, start);
    }
    return Float32Array.from(data.subarray(0, count));
  }

  /** PyTorch's `uniform_real_distribution<float>(0, 1)`: the low 24 bits of one 32-bit output over 2^24. */
  private uniform(): number {
    return Math.fround((this.rng.nextUint32() & 0xffffff) / 0x1000000);
  }
}

function boxMuller16(data: Float64Array, at: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = Math.fround(1 - data[at + j]);
    const u2 = data[at + j + 8];
    const radius = Math.fround(Math.sqrt(-2 * Math.log(u1)));
    const theta = Math.fround(TWO_PI * u2);
    data[at + j] = radius * Math.cos(theta);
    data[at + j + 8] = radius * Math.sin(theta);
  }
}
