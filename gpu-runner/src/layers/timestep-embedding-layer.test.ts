import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { SinusoidalTimestepLayer } from './timestep-embedding-layer.js';

/** A one-layer model.json topology holding the timestep layer under `className`, as a converter would save it. */
function topologyWith(className: string): tf.io.ModelJSON['modelTopology'] {
  return {
    class_name: 'Model',
    config: {
      name: 'timesteps',
      layers: [
        {
          name: 'timestep',
          class_name: 'InputLayer',
          config: { batch_input_shape: [null, 1], dtype: 'float32', sparse: false, name: 'timestep' },
          inbound_nodes: [],
        },
        {
          name: 'time_proj',
          class_name: className,
          config: { name: 'time_proj', trainable: false, dim: 4, flip_sin_to_cos: true, freq_shift: 0 },
          inbound_nodes: [[['timestep', 0, 0, {}]]],
        },
      ],
      input_layers: [['timestep', 0, 0]],
      output_layers: [['time_proj', 0, 0]],
    },
  };
}

describe('SinusoidalTimestepLayer', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('accepts [B] and [B, 1] timesteps alike and refuses [B, 2]', () => {
    const layer = new SinusoidalTimestepLayer({ name: 'time_proj', dim: 4, flipSinToCos: true, freqShift: 0 });
    const flat = layer.apply(tf.tensor1d([0, 10])) as tf.Tensor;
    const column = layer.apply(tf.tensor2d([[0], [10]])) as tf.Tensor;
    expect(flat.shape).toEqual([2, 4]);
    expect(column.arraySync()).toEqual(flat.arraySync());
    // flip_sin_to_cos puts cos first: t = 0 gives [cos 0, cos 0, sin 0, sin 0].
    expect((flat.arraySync() as number[][])[0]).toEqual([1, 1, 0, 0]);
    expect(() => layer.apply(tf.zeros([2, 2]))).toThrow(/\[B\] or \[B, 1\]/);
  });

  it('still loads priors saved with the former class name KdTimestepColumn, with the same output', async () => {
    const t = tf.tensor2d([[0], [3], [999]]);
    const outputs: number[][][] = [];
    for (const className of ['KdSinusoidalTimestep', 'KdTimestepColumn']) {
      const model = await tf.models.modelFromJSON({ modelTopology: topologyWith(className) });
      outputs.push((model.predict(t) as tf.Tensor).arraySync() as number[][]);
    }
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[0][1][0]).toBeCloseTo(Math.cos(3), 5);
  });
});
