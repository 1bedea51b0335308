import * as tf from '@tensorflow/tfjs';
import { firstShape, type InputShape, inputList } from '../../layers/module-layer.js';

/** `x[:, -1]`: `[B, N, C] -> [B, C]`, the prior's `prd` token, which carries the predicted image embedding. */
export class LastTokenLayer extends tf.layers.Layer {
  static readonly className = 'KdLastToken';

  override computeOutputShape(inputShape: InputShape): tf.Shape {
    const s = firstShape(inputShape);
    return [s[0], s[s.length - 1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = inputList(inputs)[0] as tf.Tensor3D;
      const [b, n, c] = x.shape;
      return tf.reshape(tf.slice(x, [0, n - 1, 0], [b, 1, c]), [b, c]);
    });
  }
}
tf.serialization.registerClass(LastTokenLayer);
