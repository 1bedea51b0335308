import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { fixture } from '../../test/helpers/tensors.js';
import { testPattern } from '../../test/helpers/test-pattern.js';
import type { HostTensor } from '../io/safetensors.js';
import { decodeImage } from './decode-image.js';
import { encodeImage } from './encode-image.js';
import { readPngText } from './png-encode.js';
import { decodedToUint8, imageTensorToRasters, roundHalfEven, toUnitRange } from './postprocess.js';

describe('decoder output -> image bytes', () => {
  let t: Map<string, HostTensor>;
  beforeAll(async () => {
    await useTestBackend();
    t = await fixture('image', 'pipeline-images.safetensors');
  });

  it('maps the movq.decode sample to exactly the reference final.image_np (clamp(x * 0.5 + 0.5, 0, 1))', () => {
    const sample = t.get('img2img.movq_decode_sample')!; // [1, 3, 64, 64]
    const final = t.get('img2img.final_image_np')!; // [1, 64, 64, 3]
    const [, c, h, w] = sample.shape;
    let mismatches = 0;
    let inRange = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          const ours = toUnitRange(sample.data[(k * h + y) * w + x]);
          if (ours !== final.data[(y * w + x) * c + k]) mismatches++;
          if (ours > 0 && ours < 1) inRange++;
        }
      }
    }
    expect(mismatches).toBe(0);
    expect(inRange).toBeGreaterThan(1000); // not only clipped values
  });

  it('rounds half to even like numpy and clamps like the pipeline', () => {
    expect([0.5, 1.5, 2.5, 254.5, 3.4999, 3.5001].map(roundHalfEven)).toEqual([0, 2, 2, 254, 3, 4]);
    // -1 -> 0, 1 -> 255, 0 -> 0.5 * 255 = 127.5 -> 128 (even), out of range clamps, NaN -> 0.
    expect(Array.from(decodedToUint8(Float32Array.from([-1, 1, 0, 5, -5, Number.NaN])))).toEqual([
      0, 255, 128, 255, 0, 0,
    ]);
  });

  it('splits an NHWC batch into rasters and leaves the tensor to the caller', async () => {
    const batch = tf.tensor4d(
      Float32Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => (i % 5) / 2 - 1),
      [2, 2, 3, 3],
    );
    const before = tf.memory().numTensors;
    const rasters = await imageTensorToRasters(batch);
    expect(tf.memory().numTensors).toBe(before);
    expect(rasters.map((r) => [r.width, r.height, r.channels])).toEqual([
      [3, 2, 3],
      [3, 2, 3],
    ]);
    expect(rasters[1].data[0]).toBe(decodedToUint8(Float32Array.from([(18 % 5) / 2 - 1]))[0]);
    batch.dispose();
  });
});

describe('output encoding', () => {
  const image = testPattern(17, 9);
  const parameters = { prompt: 'кот в сапогах, 4k', seed: 42, steps: 100, guidance_scale: 4 };

  it('writes a lossless RGB PNG carrying the parameters as UTF-8 JSON', async () => {
    const bytes = await encodeImage(image, 'png', { parameters });
    const decoded = PNG.sync.read(Buffer.from(bytes));
    expect([decoded.width, decoded.height]).toEqual([17, 9]);
    for (let p = 0; p < 17 * 9; p++) {
      expect(Array.from(decoded.data.subarray(p * 4, p * 4 + 3))).toEqual(
        Array.from(image.data.subarray(p * 3, p * 3 + 3)),
      );
    }
    expect(JSON.parse(readPngText(bytes).parameters)).toEqual(parameters);
  });

  it('writes a JPEG with the parameters in a comment', async () => {
    const bytes = await encodeImage(image, 'jpeg', { parameters, quality: 90 });
    const decoded = jpeg.decode(bytes, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([17, 9]);
    const comment = decoded.comments?.[0] ?? '';
    expect(comment.startsWith('parameters: ')).toBe(true);
    expect(JSON.parse(comment.slice('parameters: '.length))).toEqual(parameters);
  });

  it('writes lossless WebP at quality 100 and lossy WebP below, both decodable', async () => {
    const lossless = await decodeImage(await encodeImage(image, 'webp', { quality: 100 }));
    expect(Array.from(lossless.data)).toEqual(Array.from(image.data));
    const lossy = await decodeImage(await encodeImage(image, 'webp', { quality: 80 }));
    expect([lossy.width, lossy.height]).toEqual([17, 9]);
  });

  it('refuses bad qualities explicitly', async () => {
    await expect(encodeImage(image, 'jpeg', { quality: 0 })).rejects.toThrow(RangeError);
    await expect(encodeImage(image, 'webp', { quality: 101 })).rejects.toThrow(RangeError);
  });
});
