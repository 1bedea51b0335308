import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { fixture } from '../../test/helpers/tensors.js';
import { Mt19937 } from './mt19937.js';
import { SeededNoise } from './seeded-noise.js';

/** Float32 Box-Muller in float64 vs PyTorch's float32/SLEEF arithmetic: a few ulps of values of size ~3. */
const TOL = 2e-6;

describe('Mt19937', () => {
  it('produces the reference MT19937 stream (std::mt19937 with the default seed 5489: 10000th output 4123659995)', () => {
    const mt = new Mt19937(5489);
    let v = 0;
    for (let i = 0; i < 10000; i++) v = mt.nextUint32();
    expect(v).toBe(4123659995);
  });

  it('rejects seeds outside uint32', () => {
    expect(() => new Mt19937(-1)).toThrow(/seed/);
    expect(() => new Mt19937(2 ** 32)).toThrow(/seed/);
    expect(() => new Mt19937(1.5)).toThrow(/seed/);
  });
});

describe('SeededNoise follows torch.randn on the CPU generator', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('reproduces the reference draws of torch.Generator().manual_seed(0) (prior [1,32], decoder [1,4,8,8])', async () => {
    const trace = await fixture('e2e_text2img', 'trace.safetensors');
    for (const [name, shape] of [
      ['randn.000', [1, 32]],
      ['randn.005', [1, 4, 8, 8]],
    ] as const) {
      const expected = trace.get(name)!;
      expect(expected.shape).toEqual(shape);
      const got = new SeededNoise(0).normalValues(expected.data.length);
      let err = 0;
      for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - expected.data[i]));
      expect(err, name).toBeLessThan(TOL);
    }
  });

  it('continues one stream across draws, like one generator shared by the prior steps', async () => {
    const trace = await fixture('e2e_text2img', 'trace.safetensors');
    const noise = new SeededNoise(0);
    for (const name of ['randn.000', 'randn.001', 'randn.002', 'randn.003', 'randn.004']) {
      const expected = trace.get(name)!;
      const got = noise.normal(expected.shape);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, tf.tensor(expected.data, expected.shape)))).dataSync()[0]);
      got.dispose();
      expect(diff, name).toBeLessThan(TOL);
    }
  });

  it('redraws the tail block when the count is not a multiple of 16 (numel 20 differs from numel 32 after 4 values)', () => {
    const a = new SeededNoise(7).normalValues(20);
    const b = new SeededNoise(7).normalValues(32);
    // The first 4 values come from block 0, whose uniforms are the same in both draws.
    expect(Array.from(a.subarray(0, 4))).toEqual(Array.from(b.subarray(0, 4)));
    expect(Array.from(a.subarray(4))).not.toEqual(Array.from(b.subarray(4, 20)));
  });

  it('is deterministic per seed and looks standard normal', () => {
    const a = new SeededNoise(123).normalValues(4096);
    const b = new SeededNoise(123).normalValues(4096);
    const c = new SeededNoise(124).normalValues(4096);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(variance - 1)).toBeLessThan(0.08);
  });
});
