import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { quickRequest } from '../../test/helpers/quick-request.js';
import { fixture } from '../../test/helpers/tensors.js';
import { buildTinyModelFolder } from '../../test/helpers/tiny-model-folder.js';
import { decodeImage, encodeImage, readPngText } from '../image/index.js';
import { ReplayNoise } from '../random/replay-noise.js';
import type { GenerationParams } from './generation-request.js';
import { KandinskyPipelines } from './kandinsky-pipelines.js';
import { GenerationCancelledError, PipelineParamError } from './pipeline-errors.js';
import type { ProgressEvent } from './progress.js';

let folder: { root: string; cleanup(): Promise<void> };
let pipelines: KandinskyPipelines;
let image64: Uint8Array;

/** A small, fast text2image request on the tiny models (default guidance 4, so both guidance batches run). */
const quick = quickRequest;

function rgb(width: number, height: number, value: (x: number, y: number, c: number) => number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = value(x, y, c);
  return { width, height, channels: 3, data };
}

beforeAll(async () => {
  await useTestBackend();
  folder = await buildTinyModelFolder();
  pipelines = await KandinskyPipelines.load(folder.root);
  image64 = await encodeImage(
    rgb(64, 64, (x, y, c) => (x * 4 + y * 2 + c * 60) % 256),
    'png',
  );
});
afterAll(async () => {
  pipelines?.dispose();
  await folder?.cleanup();
});

describe('KandinskyPipelines (tiny converted models)', () => {
  it('text2image with seed 0 reproduces the reference combined pipeline (torch.Generator seed 0) to within one 8-bit level, as does injecting its saved draws', async () => {
    // The e2e_combined settings: 3 prior steps, 3 decoder steps, guidance 4, 64x64, one generator seeded 0.
    const result = await pipelines.generate(quick({ steps: 3, prior_steps: 3 }));
    expect(result.images).toHaveLength(1);
    const [image] = result.images;
    expect([image.width, image.height, image.contentType, image.seed]).toEqual([64, 64, 'image/png', 0]);
    const decoded = await decodeImage(image.bytes);
    const reference = (await fixture('e2e_combined', 'trace.safetensors')).get('final.image_np')!;
    let worst = 0;
    for (let i = 0; i < decoded.data.length; i++)
      worst = Math.max(worst, Math.abs(decoded.data[i] - reference.data[i] * 255));
    expect(worst).toBeLessThanOrEqual(1);
    // The same run with the reference's saved draws injected instead of the seeded source.
    const trace = await fixture('e2e_combined', 'trace.safetensors');
    const draws = ['randn.000', 'randn.001', 'randn.002', 'randn.003'].map((k) => trace.get(k)!);
    const replay = new ReplayNoise(draws.map((d) => ({ shape: d.shape, data: d.data as Float32Array })));
    const injected = await pipelines.generate(quick({ steps: 3, prior_steps: 3 }), { noise: () => replay });
    replay.assertExhausted();
    const injectedPixels = await decodeImage(injected.images[0].bytes);
    let fromDraws = 0;
    for (let i = 0; i < decoded.data.length; i++)
      fromDraws = Math.max(fromDraws, Math.abs(decoded.data[i] - injectedPixels.data[i]));
    expect(fromDraws).toBeLessThanOrEqual(1);
    const parameters = JSON.parse(readPngText(image.bytes).parameters);
    expect(parameters).toMatchObject({
      model: 'kandinsky-2.1',
      task: 'text2image',
      seed: 0,
      steps: 3,
      prior_steps: 3,
      scheduler: 'ddim',
      width: 64,
    });
    for (const stage of ['encode', 'prior', 'decoder', 'movq', 'total'])
      expect(result.timingsMs[stage], stage).toBeGreaterThan(0);
  });

  it('image i of a request is the image of seed + i alone; sizes round up to multiples of 64', async () => {
    const pair = await pipelines.generate(quick({ n: 2, seed: 11, width: 64, height: 70 }));
    expect(pair.images.map((i) => [i.width, i.height, i.seed])).toEqual([
      [64, 128, 11],
      [64, 128, 12],
    ]);
    const alone = await pipelines.generate(quick({ seed: 12, width: 64, height: 70 }));
    const a = await decodeImage(pair.images[1].bytes);
    const b = await decodeImage(alone.images[0].bytes);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    const first = await decodeImage(pair.images[0].bytes);
    expect(Buffer.from(first.data).equals(Buffer.from(a.data))).toBe(false);
  });

  it('every uint32 seed works with every n: image 1 of seed 2^32 - 1 is the image of seed 0 alone', async () => {
    const pair = await pipelines.generate(quick({ n: 2, seed: 4294967295 }));
    expect(pair.images.map((i) => i.seed)).toEqual([4294967295, 0]);
    const wrapped = await pipelines.generate(quick({ seed: 0 }));
    const a = await decodeImage(pair.images[1].bytes);
    const b = await decodeImage(wrapped.images[0].bytes);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
  });

  it('reports every step, and returns tf.memory() to its baseline after generations and after a cancelled one', async () => {
    await pipelines.generate(quick({ task: 'img2img', image: image64, steps: 4, strength: 0.5 })); // warm-up: layers cache constants on first use
    await pipelines.generate(quick({ task: 'inpaint', image: image64, mask: image64 }));
    const baseline = tf.memory().numTensors;
    const events: ProgressEvent[] = [];
    await pipelines.generate(quick({ scheduler: 'dpmpp_2m', negative_prompt: 'blurry' }), {
      onProgress: (e) => events.push(e),
    });
    expect(tf.memory().numTensors).toBe(baseline);
    const steps = (stage: string) => events.filter((e) => e.stage === stage).map((e) => `${e.step}/${e.totalSteps}`);
    expect(steps('prior')).toEqual(['1/2', '2/2']);
    expect(steps('decoder')).toEqual(['1/2', '2/2']);
    expect(steps('movq')).toEqual(['1/1']);

    const controller = new AbortController();
    const seen: ProgressEvent[] = [];
    const run = pipelines.generate(quick({ task: 'img2img', image: image64, steps: 10, strength: 0.4 }), {
      signal: controller.signal,
      onProgress: (e) => {
        seen.push(e);
        if (e.stage === 'decoder' && e.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(GenerationCancelledError);
    expect(seen.filter((e) => e.stage === 'decoder')).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(baseline);

    // Cancelled inside the prior loop (DPM-Solver++ keeps history, which must be released too).
    const early = new AbortController();
    const cancelledInPrior = pipelines.generate(quick({ scheduler: 'dpmpp_2m', prior_steps: 4 }), {
      signal: early.signal,
      onProgress: (e) => {
        if (e.stage === 'prior' && e.step === 1) early.abort();
      },
    });
    await expect(cancelledInPrior).rejects.toThrow(/cancelled during prior/);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('runs variation (with and without a negative prompt), fuse, img2img and inpaint, concurrently', async () => {
    const other = await encodeImage(
      rgb(40, 32, (x, y, c) => (x * 7 + y * 3 + c * 40) % 256),
      'png',
    );
    const before = tf.memory().numTensors;
    const results = await Promise.all([
      pipelines.generate(quick({ task: 'variation', prompt: undefined, image: other })),
      pipelines.generate(
        quick({
          task: 'fuse',
          prompt: undefined,
          inputs: [
            { type: 'text', text: 'a red cat', weight: 0.4 },
            { type: 'image', image: other, weight: 0.6 },
          ],
        }),
      ),
      pipelines.generate(quick({ task: 'img2img', image: image64, steps: 4, strength: 0.5, output_format: 'jpeg' })),
      pipelines.generate(quick({ task: 'inpaint', image: image64, mask: image64, scheduler: 'ddpm' })),
      pipelines.generate(quick({ task: 'variation', prompt: undefined, image: other, negative_prompt: 'blurry' })),
    ]);
    expect(tf.memory().numTensors).toBe(before);
    for (const r of results) expect([r.images[0].width, r.images[0].height]).toEqual([64, 64]);
    expect(results[2].images[0].contentType).toBe('image/jpeg');
    expect(results[1].parameters.inputs).toEqual([
      { type: 'text', text: 'a red cat', weight: 0.4 },
      { type: 'image', weight: 0.6 },
    ]);
  });

  it('refuses bad parameters with a clear error before any compute', async () => {
    const mask32 = await encodeImage(
      rgb(32, 32, () => 255),
      'png',
    );
    // The messages are the request contract's (@kandinsky/protocol), the same the public API answers with.
    const cases: [Partial<GenerationParams>, RegExp][] = [
      [{ width: 0 }, /^width: Too small: expected number to be >=64/],
      [{ width: 1025 }, /^width: Too big: expected number to be <=1024/],
      [{ height: -64 }, /^height:/],
      [{ steps: 0 }, /^steps: Too small/],
      [{ steps: 151 }, /^steps: Too big/],
      [{ prior_steps: 1 }, /^prior_steps: Too small: expected number to be >=2/],
      [{ task: 'img2img', image: image64, strength: 0 }, /^strength: Too small/],
      [{ task: 'img2img', image: image64, strength: 1.5 }, /^strength: Too big/],
      [
        { task: 'img2img', image: image64, strength: 0.3, steps: 3 },
        /^strength: strength 0.3 of 3 steps leaves no denoising step/,
      ],
      [{ task: 'img2img', steps: 10 }, /^image:/],
      [{ task: 'inpaint', image: image64, mask: mask32 }, /^mask: the mask is 32x32 but the image is 64x64/],
      [{ task: 'inpaint', image: image64, mask: new Uint8Array([1, 2, 3]) }, /^mask: is not a readable image/],
      [
        {
          task: 'fuse',
          inputs: [
            { type: 'text', text: 'a', weight: 0.5 },
            { type: 'text', text: 'b', weight: -0.5 },
          ],
        },
        /^inputs\.1\.weight: Too small/,
      ],
      [{ task: 'fuse', inputs: [] }, /^inputs: Too small/],
      [{ prompt: '  ' }, /^prompt: must not be empty or only whitespace/],
      [{ scheduler: 'euler' as never }, /^scheduler:/],
      [{ seed: 2 ** 32 }, /^seed:/],
      [{ n: 5 }, /^n:/],
      [{ task: 'upscale' as never }, /^task:/],
    ];
    for (const [params, message] of cases) {
      const events: ProgressEvent[] = [];
      const before = tf.memory().numTensors;
      const error = await pipelines.generate(quick(params), { onProgress: (e) => events.push(e) }).catch((e) => e);
      expect(error, JSON.stringify(params)).toBeInstanceOf(PipelineParamError);
      expect(error.message, JSON.stringify(params)).toMatch(message);
      expect(events).toEqual([]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('loads a folder without unet_inpaint (inpainting refused by name) and refuses a folder missing a component', async () => {
    const partial = `${folder.root}-partial`;
    await cp(folder.root, partial, { recursive: true });
    await rm(join(partial, 'unet_inpaint'), { recursive: true });
    const withoutInpaint = await KandinskyPipelines.load(partial);
    try {
      expect(withoutInpaint.canInpaint).toBe(false);
      await expect(withoutInpaint.generate(quick({ task: 'inpaint', image: image64, mask: image64 }))).rejects.toThrow(
        /task: inpainting needs the unet_inpaint component/,
      );
    } finally {
      withoutInpaint.dispose();
    }
    await rm(join(partial, 'prior'), { recursive: true });
    await expect(KandinskyPipelines.load(partial)).rejects.toThrow(/prior.*no component\.json/);
    await rm(partial, { recursive: true, force: true });
  });
});
