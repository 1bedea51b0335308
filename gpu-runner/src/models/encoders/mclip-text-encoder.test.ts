import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers/backend.js';
import {
  type ConvertedFixture,
  convertFixture,
  intTensor,
  probeErrors,
} from '../../../test/helpers/encoder-fixtures.js';
import { maxAbsDiff } from '../../../test/helpers/tensors.js';
import { EncoderInputError } from './token-ids.js';

/** fp32 parity tolerance against the PyTorch reference (max abs error). */
const TOL = 1e-4;

const ACTIVATIONS: Record<string, string> = {
  'act.transformer.embeddings': 'transformer.embeddings',
  'act.transformer.encoder.layer.0': 'transformer.encoder.layer.0',
  'act.transformer.encoder.layer.1': 'transformer.encoder.layer.1',
};

describe('M-CLIP text encoder parity with diffusers MultilingualCLIP (tiny fixture, convert -> save -> load)', () => {
  let f: ConvertedFixture;
  let ids: tf.Tensor;
  let mask: tf.Tensor;

  beforeAll(async () => {
    await useTestBackend();
    f = await convertFixture('text_encoder');
    ids = intTensor(f.inputs.get('input_ids')!);
    mask = intTensor(f.inputs.get('attention_mask')!);
  });
  afterAll(async () => {
    tf.dispose([ids, mask]);
    await f?.cleanup();
  });

  it('is registered as text_encoder with the pooler keys declared unused', () => {
    expect(f.component.kind).toBe('text_encoder');
    expect(f.component.manifest.parameterCount).toBe(54608 - 48 * 48 - 48);
  });

  it('gives the reference pooled embedding, last hidden state and every saved activation within 1e-4', () => {
    const model = f.component.graphs.main;
    const errors = probeErrors(model, ACTIVATIONS, [ids, mask], f.outputs);
    const [pooled, hidden] = model.predict([ids, mask]) as tf.Tensor[];
    errors.prompt_embeds = maxAbsDiff(pooled, f.outputs.get('prompt_embeds')!);
    errors.last_hidden_state = maxAbsDiff(hidden, f.outputs.get('last_hidden_state')!);
    tf.dispose([pooled, hidden]);
    for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOL);
  });

  it('leaks no tensors across repeated calls', () => {
    const model = f.component.graphs.main;
    tf.dispose(model.predict([ids, mask]) as tf.Tensor[]);
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(model.predict([ids, mask]) as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses ids outside the vocabulary, too-long sequences and malformed masks before computing', () => {
    const model = f.component.graphs.main;
    const baseline = tf.memory().numTensors;
    const run = (idRows: number[][], maskRows: number[][]) => () => {
      const i = tf.tensor2d(idRows, undefined, 'int32');
      const m = tf.tensor2d(maskRows, undefined, 'int32');
      try {
        tf.dispose(model.predict([i, m]) as tf.Tensor[]);
      } finally {
        tf.dispose([i, m]);
      }
    };
    expect(run([[0, 182, 2]], [[1, 1, 1]])).toThrow(/input_ids\[0\]\[1\] = 182 is outside the vocabulary \[0, 182\)/);
    expect(run([[0, -1, 2]], [[1, 1, 1]])).toThrow(EncoderInputError);
    // 81 positions with pad id 1: real tokens take positions 2..80, so at most 79 tokens.
    const long = Array.from({ length: 80 }, () => 5);
    expect(run([long], [long.map(() => 1)])).toThrow(/sequence length 80 exceeds the model's maximum of 79 tokens/);
    expect(run([[0, 5, 2]], [[1, 2, 1]])).toThrow(/attention_mask\[0\]\[1\] = 2; expected 0 or 1/);
    expect(run([[0, 5, 2]], [[0, 0, 0]])).toThrow(/attention_mask row 0 has no tokens/);
    expect(run([[0, 5, 2]], [[1, 1]])).toThrow(/does not match input_ids/);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
