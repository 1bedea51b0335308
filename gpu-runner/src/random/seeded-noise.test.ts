import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { E2E_SCENARIOS } from '../verify/e2e-scenarios.js';
import { TraceReplay } from '../verify/trace-replay.js';
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

  // Each trace's generator_seed(s) and the draws they made come from its trace.json (prior and decoder streams,
  // or one stream shared by the whole pipeline); one SeededNoise per stream must continue across its draws.
  it.each(E2E_SCENARIOS.map((s) => s.name))(
    'reproduces every recorded draw of %s from the seeds in its trace.json',
    async (name) => {
      const trace = await TraceReplay.load(name);
      const streams = trace.drawsFromSeeds();
      expect(streams.reduce((n, s) => n + s.draws, 0)).toBe(trace.meta.num_randn);
      for (const s of streams) expect(s.maxAbsDiff, `${s.stage} seed ${s.seed}`).toBeLessThan(TOL);
    },
  );

  it('continues one stream across draws (two draws differ from one draw of their total only by block boundaries)', () => {
    const whole = new SeededNoise(5).normalValues(64);
    const noise = new SeededNoise(5);
    const parts = [...noise.normalValues(32), ...noise.normalValues(32)];
    expect(parts).toEqual(Array.from(whole));
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
