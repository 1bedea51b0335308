import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { buildTinyModelFolder } from '../../test/helpers/tiny-model-folder.js';
import { encodeImage } from '../image/index.js';
import type { GenerationParams } from './generation-request.js';
import { KandinskyPipelines } from './kandinsky-pipelines.js';
import { loadPipelineModels, type PipelineModels } from './pipeline-models.js';

let folder: { root: string; cleanup(): Promise<void> };
let models: PipelineModels;
let pipelines: KandinskyPipelines;
let image: Uint8Array;

/** A failure injected by the test, told apart from anything the pipelines throw on their own. */
class InjectedFault extends Error {}

/**
 * Wraps every tensor-producing method of the loaded components (text encoders, prior, image encoder, U-Nets, MoVQ) so
 * that call number `failAt` (counting from 1 over all of them) throws instead of returning. Returns the call count
 * and a restore function. Wraps the models the pipelines were composed from.
 */
function injectFault(m: PipelineModels, failAt: number): { calls: () => number; restore: () => void } {
  let count = 0;
  const restores: (() => void)[] = [];
  const wrap = <T, K extends keyof T>(object: T, method: K) => {
    const original = object[method] as (...args: unknown[]) => unknown;
    object[method] = ((...args: unknown[]) => {
      count++;
      if (count === failAt) throw new InjectedFault(`fault injected at call ${failAt} (${String(method)})`);
      return original.apply(object, args);
    }) as T[K];
    restores.push(() => {
      object[method] = original as T[K];
    });
  };
  wrap(m.prior.textEncoder, 'encode');
  wrap(m.prior.prior, 'predict');
  wrap(m.prior.prior, 'postProcess');
  wrap(m.prior.imageEncoder, 'encode');
  wrap(m.decoder.textEncoder, 'encode');
  wrap(m.decoder.movq, 'encode');
  wrap(m.decoder.movq, 'decode');
  wrap(m.unets.text2image, 'predict');
  wrap(m.unets.inpaint!, 'predict');
  return {
    calls: () => count,
    restore: () => {
      for (const restore of restores) restore();
    },
  };
}

beforeAll(async () => {
  await useTestBackend();
  folder = await buildTinyModelFolder();
  models = await loadPipelineModels(folder.root);
  pipelines = new KandinskyPipelines(models);
  image = await encodeImage(
    { width: 64, height: 64, channels: 3, data: new Uint8Array(64 * 64 * 3).map((_, i) => (i * 7) % 256) },
    'png',
  );
});
afterAll(async () => {
  pipelines?.dispose();
  await folder?.cleanup();
});

const quick = { prompt: 'a red cat', size: '64x64', steps: 2, prior_steps: 2, seed: 1 } as const;
const scenarios = (): [string, GenerationParams[]][] => [
  ['text2image with a negative prompt', [{ task: 'text2image', ...quick, negative_prompt: 'blurry' }]],
  [
    'a text2image batch of two',
    [
      { task: 'text2image', ...quick, n: 2 },
      { task: 'text2image', ...quick, prompt: 'a dog', seed: 9 },
    ],
  ],
  ['variation with a negative prompt', [{ task: 'variation', ...quick, image, negative_prompt: 'x' }]],
  [
    'fuse',
    [
      {
        task: 'fuse',
        ...quick,
        prompt: undefined,
        inputs: [
          { type: 'text', text: 'a castle', weight: 0.5 },
          { type: 'image', image, weight: 0.5 },
        ],
      },
    ],
  ],
  ['img2img', [{ task: 'img2img', ...quick, steps: 4, image, strength: 0.5 }]],
  ['inpaint', [{ task: 'inpaint', ...quick, image, mask: image }]],
];

describe('error paths release every tensor', () => {
  for (const [index, [name]] of scenarios().entries()) {
    it(`${name}: a failure at any component call, or in any progress callback, leaves tf.memory() at its baseline`, async () => {
      const requests = scenarios()[index][1];
      await pipelines.generateMany(requests); // warm-up: layers cache constants on first use
      const baseline = tf.memory().numTensors;
      // Fail at every component call in turn, until a run gets through without reaching the fault.
      for (let failAt = 1; ; failAt++) {
        const fault = injectFault(models, failAt);
        let outcome: unknown;
        try {
          outcome = await pipelines.generateMany(requests).catch((err) => err);
        } finally {
          fault.restore();
        }
        expect(tf.memory().numTensors, `fault at component call ${failAt}`).toBe(baseline);
        if (!(outcome instanceof InjectedFault)) {
          expect(failAt).toBeGreaterThan(fault.calls());
          break;
        }
      }
      // The same with the progress callback throwing at each event in turn.
      for (let failAt = 1; ; failAt++) {
        let events = 0;
        const outcome = await pipelines
          .generateMany(requests, {
            onProgress: () => {
              if (++events === failAt) throw new InjectedFault(`fault injected at progress event ${failAt}`);
            },
          })
          .catch((err) => err);
        expect(tf.memory().numTensors, `fault at progress event ${failAt}`).toBe(baseline);
        if (!(outcome instanceof InjectedFault)) break;
      }
    });
  }
});
