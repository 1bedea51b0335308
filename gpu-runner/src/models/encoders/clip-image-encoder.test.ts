import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers/backend.js';
import { type ConvertedFixture, convertFixture, probeErrors } from '../../../test/helpers/encoder-fixtures.js';
import { maxAbsDiff, nchwToNhwc } from '../../../test/helpers/tensors.js';

/** fp32 parity tolerance against the PyTorch reference (max abs error). */
const TOL = 1e-4;

const ACTIVATIONS: Record<string, string> = {
  'act.vision_model.embeddings': 'vision_model.embeddings',
  'act.vision_model.pre_layrnorm': 'vision_model.pre_layrnorm',
  'act.vision_model.encoder.layers.0': 'vision_model.encoder.layers.0',
  'act.vision_model.post_layernorm': 'vision_model.post_layernorm',
};

describe('CLIP image encoder parity with transformers CLIPVisionModelWithProjection (tiny fixture)', () => {
  let f: ConvertedFixture;
  let pixels: tf.Tensor4D;

  beforeAll(async () => {
    await useTestBackend();
    f = await convertFixture('image_encoder');
    // Row 0 is a preprocessed image, row 1 the all-zeros image of the pipeline's `get_zero_embed`.
    pixels = nchwToNhwc(f.inputs.get('pixel_values')!);
  });
  afterAll(async () => {
    pixels?.dispose();
    await f?.cleanup();
  });

  it('gives the reference image embeddings, last hidden state and every saved activation within 1e-4', () => {
    expect(f.component.kind).toBe('image_encoder');
    const model = f.component.graphs.main;
    const errors = probeErrors(model, ACTIVATIONS, pixels, f.outputs);
    const [embeds, hidden] = model.predict(pixels) as tf.Tensor[];
    errors.image_embeds = maxAbsDiff(embeds, f.outputs.get('image_embeds')!);
    errors.last_hidden_state = maxAbsDiff(hidden, f.outputs.get('last_hidden_state')!);
    tf.dispose([embeds, hidden]);
    for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOL);
  });

  it('leaks no tensors across repeated calls', () => {
    const model = f.component.graphs.main;
    tf.dispose(model.predict(pixels) as tf.Tensor[]);
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(model.predict(pixels) as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses images of another size than the position table was trained for', () => {
    const model = f.component.graphs.main;
    const wrong = tf.zeros([1, 42, 42, 3]);
    expect(() => model.predict(wrong)).toThrow(/42/);
    wrong.dispose();
  });
});
