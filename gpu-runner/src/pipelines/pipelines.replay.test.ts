import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { TINY, tinyFixture } from '../../test/helpers/tensors.js';
import { loadClipTokenizer, loadXlmRobertaTokenizer, type PromptTokenizer } from '../tokenizers/index.js';
import { E2E_SCENARIOS } from '../verify/e2e-scenarios.js';
import { TraceReplay } from '../verify/trace-replay.js';
import type { DecoderComponents, PriorComponents } from './components.js';

/**
 * Pipeline logic against the reference traces with fake models that return the recorded outputs: every model input
 * (and every scheduler input/output) is what diffusers computed, within this tolerance (float32 arithmetic in a
 * different order; no model error can accumulate because the fakes return the reference outputs). Reached on wasm:
 * ≤ 4.8e-7 over 31-91 checked tensors per trace (0 for img2img, inpaint, combined and interpolate).
 */
const TOL = 2e-6;

let clipTokenizer: PromptTokenizer;
let xlmrTokenizer: PromptTokenizer;
let clipStats: { mean: tf.Tensor; std: tf.Tensor };
let priorTextLength: number;
let clipImageSize: number;

beforeAll(async () => {
  await useTestBackend();
  clipTokenizer = await loadClipTokenizer(join(TINY, 'tokenizers', 'clip_tiny'));
  xlmrTokenizer = await loadXlmRobertaTokenizer(join(TINY, 'tokenizers', 'xlmr_tiny'));
  // The fakes take the set's own sizes: the prior's text length and the image processor's crop.
  priorTextLength = JSON.parse(readFileSync(join(TINY, 'prior', 'config.json'), 'utf8')).num_embeddings;
  clipImageSize = JSON.parse(readFileSync(join(TINY, 'image_encoder', 'meta.json'), 'utf8')).image_processor.crop_size
    .height;
  // The fake prior's post_process_latents uses the tiny prior's own clip_mean / clip_std.
  const weights = await tinyFixture('prior', 'weights.safetensors');
  const stat = (k: string) => tf.tensor(weights.get(k)!.data, weights.get(k)!.shape);
  clipStats = { mean: stat('clip_mean'), std: stat('clip_std') };
});

function priorComponents(trace: TraceReplay): PriorComponents {
  const fakes = trace.fakes();
  return {
    tokenizer: clipTokenizer,
    textEncoder: fakes.priorTextEncoder,
    prior: fakes.prior(
      (x) => tf.tidy(() => tf.add(tf.mul(x, clipStats.std), clipStats.mean)) as tf.Tensor2D,
      priorTextLength,
    ),
    imageEncoder: fakes.imageEncoder(clipImageSize),
  };
}

function decoderComponents(trace: TraceReplay, inChannels = 4): DecoderComponents {
  const fakes = trace.fakes();
  return { tokenizer: xlmrTokenizer, textEncoder: fakes.textEncoder, unet: fakes.unet(inChannels), movq: fakes.movq };
}

function expectClean(trace: TraceReplay): void {
  trace.finish();
  expect(trace.problems).toEqual([]);
  expect(trace.errors.size).toBeGreaterThan(10);
  for (const [name, err] of trace.errors) expect(err, name).toBeLessThan(TOL);
}

describe('pipeline logic replays the reference traces (fake models return the recorded outputs)', () => {
  for (const scenario of E2E_SCENARIOS) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      const before = tf.memory().numTensors;
      const trace = await TraceReplay.load(scenario.name);
      await scenario.run(trace, {
        prior: priorComponents(trace),
        decoder: decoderComponents(trace, scenario.unet === 'unet_inpaint' ? 9 : 4),
      });
      expectClean(trace);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
