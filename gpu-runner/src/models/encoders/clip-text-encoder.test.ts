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
import { parseClipTextConfig } from './clip-text-config.js';

/** fp32 parity tolerance against the PyTorch reference (max abs error). */
const TOL = 1e-4;

const ACTIVATIONS: Record<string, string> = {
  'act.text_model.embeddings': 'text_model.embeddings',
  'act.text_model.encoder.layers.0': 'text_model.encoder.layers.0',
  'act.text_model.encoder.layers.1': 'text_model.encoder.layers.1',
  'act.text_model.final_layer_norm': 'text_model.final_layer_norm',
};

describe('CLIP text encoder parity with transformers 4.38 CLIPTextModelWithProjection (tiny fixture)', () => {
  let f: ConvertedFixture;
  let ids: tf.Tensor;

  beforeAll(async () => {
    await useTestBackend();
    f = await convertFixture('prior_text_encoder');
    // Three prompts, the last one empty: `<bos> <eos> <eos>...`, padded with <eos> (the pad token).
    ids = intTensor(f.inputs.get('input_ids')!);
  });
  afterAll(async () => {
    ids?.dispose();
    await f?.cleanup();
  });

  it('gives the reference text embeddings, last hidden state and every saved activation within 1e-4 (no mask)', () => {
    expect(f.component.kind).toBe('prior_text_encoder');
    const model = f.component.graphs.main;
    const errors = probeErrors(model, ACTIVATIONS, ids, f.outputs);
    const [embeds, hidden] = model.predict(ids) as tf.Tensor[];
    errors.text_embeds = maxAbsDiff(embeds, f.outputs.get('text_embeds')!);
    errors.last_hidden_state = maxAbsDiff(hidden, f.outputs.get('last_hidden_state')!);
    tf.dispose([embeds, hidden]);
    for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOL);
  });

  it('uses the transformers 4.38 pooling rule: argmax of ids for legacy eos_token_id 2, else the first eos', () => {
    const base = { model_type: 'clip_text_model' };
    expect(parseClipTextConfig({ ...base, eos_token_id: 2 }).eosRule).toBe('argmax-id');
    expect(parseClipTextConfig({ ...base, eos_token_id: 49407 }).eosRule).toBe('first-eos');
    expect(parseClipTextConfig(base).eosRule).toBe('first-eos');
  });

  it('leaks no tensors across repeated calls', () => {
    const model = f.component.graphs.main;
    tf.dispose(model.predict(ids) as tf.Tensor[]);
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(model.predict(ids) as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses ids outside the vocabulary and sequences longer than the position table before computing', () => {
    const model = f.component.graphs.main;
    const run = (rows: number[][]) => () => {
      const t = tf.tensor2d(rows, undefined, 'int32');
      try {
        tf.dispose(model.predict(t) as tf.Tensor[]);
      } finally {
        t.dispose();
      }
    };
    expect(run([[762, 764, 763]])).toThrow(/input_ids\[0\]\[1\] = 764 is outside the vocabulary \[0, 764\)/);
    expect(run([Array.from({ length: 13 }, () => 763)])).toThrow(
      /sequence length 13 exceeds the model's maximum of 12/,
    );
  });
});
