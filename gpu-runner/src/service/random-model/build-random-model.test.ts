import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadComponent } from '../../models/load-component.js';
import { verifyModelFolder } from '../model-folder-check.js';
import { buildRandomModel, RANDOM_MODEL_CONFIGS } from './build-random-model.js';

const dir = await mkdtemp(join(tmpdir(), 'random-model-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('buildRandomModel', () => {
  it('converts every component through the real converter, then reuses the cached build', async () => {
    await tf.setBackend('cpu');
    const built = await buildRandomModel(join(dir, 'm'));
    expect(built.reused).toBe(false);
    const names = Object.keys(RANDOM_MODEL_CONFIGS);
    const summary = await verifyModelFolder(built.dir, names);
    expect(Object.keys(summary.components).sort()).toEqual([...names].sort());
    expect(built.parameterCount).toBe(Object.values(summary.components).reduce((a, m) => a + m.parameterCount, 0));
    // The MoVQ decoder runs on its random weights and gives finite numbers.
    const movq = await loadComponent(join(built.dir, 'movq'));
    const out = tf.tidy(() => {
      const z = tf.randomNormal([1, 8, 8, 4], 0, 1, 'float32', 3);
      return movq.graphs.decoder.predict(movq.graphs.decoder.inputs.length === 2 ? [z, z] : z) as tf.Tensor;
    });
    const values = await out.data();
    expect(out.shape.slice(1)).toEqual([64, 64, 3]);
    expect(values.every(Number.isFinite)).toBe(true);
    out.dispose();
    movq.dispose();
    const again = await buildRandomModel(join(dir, 'm'));
    expect(again).toMatchObject({ reused: true, parameterCount: built.parameterCount });
  });
});
