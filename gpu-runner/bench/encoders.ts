/**
 * Encoder call times with the full-size Kandinsky 2.1 configs and random weights, on the active backend:
 * the M-CLIP text encoder and the prior's CLIP text encoder on a batch of 2 x 77 tokens (prompt + negative), the CLIP
 * image encoder on one 224 x 224 image. `ENCODERS_BENCH=image_encoder,...` picks a subset.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ComponentDefinition } from '../src/models/component.js';
import { clipImageEncoderDefinition } from '../src/models/encoders/clip-image-encoder.js';
import { clipTextEncoderDefinition } from '../src/models/encoders/clip-text-encoder.js';
import { mclipTextEncoderDefinition } from '../src/models/encoders/mclip-text-encoder.js';
import { initBackend } from '../src/tf/backend.js';
import { randomizeWeights, report, timeOnce } from './util.js';

// As the runner runs: wasm on one XNNPACK thread per core (KANDINSKY_WASM_THREADS pins another count).
const info = await initBackend({ wasmThreads: 'auto' });
const wanted = (process.env.ENCODERS_BENCH ?? 'prior_text_encoder,image_encoder,text_encoder').split(',');

/** Token ids shaped like the tokenizers' output: a start token, a few words, an end token, then padding. */
function tokenIds(batch: number, length: number, start: number, end: number, pad: number, vocab: number): tf.Tensor2D {
  const rows = Array.from({ length: batch }, (_, b) =>
    Array.from({ length }, (_, i) =>
      i === 0 ? start : i < 10 + b ? 100 + ((i * 7919) % (vocab - 200)) : i === 10 + b ? end : pad,
    ),
  );
  return tf.tensor2d(rows, undefined, 'int32');
}

const cases: { def: ComponentDefinition; inputs: () => tf.Tensor | tf.Tensor[]; shape: string }[] = [
  {
    def: clipTextEncoderDefinition,
    inputs: () => tokenIds(2, 77, 49406, 49407, 49407, 49408),
    shape: 'input_ids [2, 77]',
  },
  {
    def: clipImageEncoderDefinition,
    inputs: () => tf.randomNormal([1, 224, 224, 3], 0, 1, 'float32', 5),
    shape: 'pixel_values [1, 224, 224, 3]',
  },
  {
    def: mclipTextEncoderDefinition,
    inputs: () => {
      const ids = tokenIds(2, 77, 0, 2, 1, 250002);
      return [ids, tf.cast(tf.notEqual(ids, 1), 'int32')];
    },
    shape: 'input_ids + attention_mask [2, 77]',
  },
];

for (const { def, inputs, shape } of cases) {
  if (!wanted.includes(def.kind)) continue;
  const config = JSON.parse(
    readFileSync(join(import.meta.dirname, `../test/fixtures/full-keys/${def.kind}_config.json`), 'utf8'),
  );
  const { main } = def.buildGraphs(config);
  randomizeWeights([main]);
  const x = inputs();
  const run = () =>
    tf.tidy(() =>
      (main.predict(x) as tf.Tensor[]).forEach((t) => {
        t.dataSync();
      }),
    );
  run(); // warm-up: kernels compiled, weights uploaded
  const seconds = await timeOnce(run);
  report({
    name: `encoder_${def.kind}`,
    backend: info.choice,
    threads: info.threads,
    input: shape,
    parameters: main.countParams(),
    seconds: Number(seconds.toFixed(3)),
    note: 'full-size config, random weights; attention runs as batched matmuls (the scalar-loop path on wasm)',
  });
  tf.dispose(x);
  main.dispose();
}
