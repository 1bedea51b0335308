import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { distance, PERTURBATION, perturb, perturbValues, RELATIVE_FLOOR, toleranceFor } from './tolerance.js';

describe('verify tolerances', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('measures errors relative to max(1, max|ref|)', () => {
    expect(distance([1, 52, -3], [1, 50, -3])).toEqual({ maxAbsError: 2, scale: 50, relative: 0.04 });
    // Below 1 the scale is 1: small tensors are held to absolute errors.
    expect(distance([0.1, 0.2], [0.1, 0.25]).relative).toBeCloseTo(0.05, 12);
  });

  it('turns a NaN anywhere into a NaN error, which no tolerance accepts', () => {
    const d = distance([1, Number.NaN, 2], [1, 1, 2]);
    expect(d.relative).toBeNaN();
    expect(d.relative <= toleranceFor().tolerance).toBe(false);
  });

  it('is the floor, or 10x the measured sensitivity when that is larger', () => {
    expect(toleranceFor()).toEqual({ tolerance: RELATIVE_FLOOR, rule: 'floor 0.0001' });
    expect(toleranceFor(3e-6)).toMatchObject({ tolerance: RELATIVE_FLOOR, sensitivity: 3e-6 });
    expect(toleranceFor(2.5e-4)).toMatchObject({ tolerance: 2.5e-3, rule: '10 x sensitivity 2.50e-4' });
  });

  it('perturbs by about 1e-6 relative, reproducibly, the same on host arrays and tensors', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => 1 + i / 100);
    const a = perturbValues(x);
    expect(Array.from(perturbValues(x))).toEqual(Array.from(a));
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(a[i] / x[i] - 1));
    expect(worst).toBeGreaterThan(PERTURBATION);
    expect(worst).toBeLessThan(6 * PERTURBATION);
    const t = tf.tensor1d(x);
    const p = perturb(t);
    const viaTensor = p.dataSync();
    for (let i = 0; i < x.length; i++) expect(Math.abs(viaTensor[i] - a[i])).toBeLessThanOrEqual(2 ** -23 * x[i]);
    tf.dispose([t, p]);
  });
});
