import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { convertComponent } from '../../src/convert/convert-component.js';
import type { HostTensor } from '../../src/io/safetensors.js';
import { type LoadedComponent, loadComponent } from '../../src/models/load-component.js';
import { maxAbsDiff, tinyCheckpoint, tinyFixture } from './tensors.js';

/** A tiny reference encoder converted to a temporary folder and loaded back, with its fixture tensors. */
export interface ConvertedFixture {
  component: LoadedComponent;
  inputs: Map<string, HostTensor>;
  outputs: Map<string, HostTensor>;
  cleanup(): Promise<void>;
}

/** Test support: convert the tiny reference `<name>` -> save -> load, and read the reference tensors. */
export async function convertFixture(name: string): Promise<ConvertedFixture> {
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  await convertComponent(await tinyCheckpoint(name), dir, { shardBytes: 1 << 16 });
  const component = await loadComponent(dir);
  return {
    component,
    inputs: await tinyFixture(name, 'inputs.safetensors'),
    outputs: await tinyFixture(name, 'outputs.safetensors'),
    async cleanup() {
      component.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A host int tensor as an int32 tf tensor. */
export function intTensor(t: HostTensor): tf.Tensor {
  return tf.tensor(Array.from(t.data), t.shape, 'int32');
}

/**
 * Runs `model` with a probe on inner layers and returns the max abs error of each against the reference tensor
 * named by the key of `layers` (reference activation name -> our layer name).
 */
export function probeErrors(
  model: tf.LayersModel,
  layers: Record<string, string>,
  inputs: tf.Tensor | tf.Tensor[],
  reference: Map<string, HostTensor>,
): Record<string, number> {
  const names = Object.keys(layers);
  const outputs = names.map((n) => model.getLayer(layers[n]).output as tf.SymbolicTensor);
  const inspect = tf.model({ inputs: model.inputs, outputs });
  return tf.tidy(() => {
    const got = inspect.predict(inputs) as tf.Tensor[];
    return Object.fromEntries(names.map((n, i) => [n, maxAbsDiff(got[i], reference.get(n)!)]));
  });
}
