import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { FIXTURES, fixture } from '../../test/helpers/tensors.js';
import { testPattern } from '../../test/helpers/test-pattern.js';
import type { HostTensor } from '../io/safetensors.js';
import { clipPreprocess, parseClipImageProcessorConfig } from './clip-image-processor.js';
import { decodeImage } from './decode-image.js';
import { clipImagesToTensor, initImagesToTensor, latentKeepMaskTensor } from './image-tensors.js';
import { prepareInitImage } from './init-image.js';
import { latentKeepMask, prepareKeepMaskFromArray, prepareKeepMaskFromImage } from './inpaint-mask.js';
import { type Raster, rasterFrom } from './raster.js';

/** HWC uint8 fixture tensor -> raster. */
function raster(t: HostTensor): Raster {
  const [h, w, c] = t.shape;
  return rasterFrom(w, h, c, Uint8Array.from(t.data));
}

/** NCHW reference batch item `n` -> NHWC float32, to compare with our NHWC output. */
function nchwItemToNhwc(t: HostTensor, n = 0, channels?: number[]): Float32Array {
  const [, c, h, w] = t.shape;
  const chans = channels ?? Array.from({ length: c }, (_, i) => i);
  const out = new Float32Array(h * w * chans.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      chans.forEach((ch, k) => {
        out[(y * w + x) * chans.length + k] = t.data[((n * c + ch) * h + y) * w + x];
      });
    }
  }
  return out;
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The tiny image encoder's processor config (from the reference fixture's meta.json). */
const TINY_CLIP_PROCESSOR = parseClipImageProcessorConfig({
  do_resize: true,
  size: { shortest_edge: 28 },
  resample: 3,
  do_center_crop: true,
  crop_size: { height: 28, width: 28 },
  do_rescale: true,
  rescale_factor: 0.00392156862745098,
  do_normalize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  do_convert_rgb: true,
});

describe('pipeline image preprocessing reproduces the tensors the reference pipelines made (exact)', () => {
  let t: Map<string, HostTensor>;
  beforeAll(async () => {
    t = await fixture('image', 'pipeline-images.safetensors');
  });

  it('img2img: the init image becomes exactly the movq.encode input', () => {
    const ours = prepareInitImage(raster(t.get('img2img.init_image_uint8_HWC')!), 64, 64);
    expect(maxAbs(ours, nchwItemToNhwc(t.get('img2img.movq_encode_arg0')!))).toBe(0);
  });

  it('inpaint: the init image becomes exactly the movq.encode input', () => {
    const ours = prepareInitImage(raster(t.get('inpaint.init_image_uint8_HWC')!), 64, 64);
    expect(maxAbs(ours, nchwItemToNhwc(t.get('inpaint.movq_encode_arg0')!))).toBe(0);
  });

  it('inpaint: the repaint mask becomes exactly the eroded latent keep-mask channel of the U-Net input', () => {
    const keep = prepareKeepMaskFromArray(Float32Array.from(t.get('inpaint.mask_image')!.data));
    const latent = latentKeepMask(keep, 64, 64, 8, 8);
    const sample = t.get('inpaint.unet_000_sample')!; // [2, 9, 8, 8]: channel 8 is the mask, both CFG halves
    expect(maxAbs(latent, nchwItemToNhwc(sample, 0, [8]))).toBe(0);
    expect(maxAbs(latent, nchwItemToNhwc(sample, 1, [8]))).toBe(0);
    expect(Array.from(latent)).toContain(0);
    expect(Array.from(latent)).toContain(1);
  });

  it('interpolate: a 32x40 PIL image becomes exactly the image_encoder input (CLIPImageProcessor)', () => {
    const { pixels, height, width } = clipPreprocess(
      raster(t.get('interpolate.image_uint8_HWC')!),
      TINY_CLIP_PROCESSOR,
    );
    expect([height, width]).toEqual([28, 28]);
    expect(maxAbs(pixels, nchwItemToNhwc(t.get('interpolate.image_encoder_arg0')!))).toBe(0);
  });

  it('image encoder fixture: the PIL image becomes exactly pixel_values[0]', () => {
    const { pixels } = clipPreprocess(raster(t.get('image_encoder.pil_image_uint8_HWC')!), TINY_CLIP_PROCESSOR);
    expect(maxAbs(pixels, nchwItemToNhwc(t.get('image_encoder.pixel_values')!, 0))).toBe(0);
  });
});

describe('pipeline image preprocessing: behaviour not covered by the traces', () => {
  it('binarizes an image mask at 0.5 after LANCZOS + luma, white = repaint', () => {
    const mask = rasterFrom(2, 1, 3, Uint8Array.from([127, 127, 127, 128, 128, 128]));
    expect(Array.from(prepareKeepMaskFromImage(mask, 2, 1))).toEqual([1, 0]);
  });

  it('centre-crops to the crop size and zero-pads (in pixel space) an image smaller than the crop', () => {
    const cfg = parseClipImageProcessorConfig({
      do_resize: false,
      crop_size: { height: 4, width: 4 },
      do_normalize: false,
    });
    const { pixels, height, width } = clipPreprocess(testPattern(2, 2), cfg);
    expect([height, width]).toEqual([4, 4]);
    expect(pixels[0]).toBe(0); // padding
    expect(pixels[(1 * 4 + 1) * 3]).toBeCloseTo(testPattern(2, 2).data[0] / 255, 6);
  });

  it('refuses processor configs it does not implement', () => {
    expect(() => parseClipImageProcessorConfig({ resample: 1 })).toThrow(/resample/);
    expect(() => parseClipImageProcessorConfig({ size: { longest_edge: 3 } })).toThrow(/size/);
  });
});

describe('tensor wrappers', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('batch the preprocessed images NHWC without leaking', () => {
    const before = tf.memory().numTensors;
    const init = initImagesToTensor([testPattern(40, 30), testPattern(20, 10)], 16, 8);
    expect(init.shape).toEqual([2, 8, 16, 3]);
    expect(Array.from(init.dataSync().slice(8 * 16 * 3))).toEqual(
      Array.from(prepareInitImage(testPattern(20, 10), 16, 8)),
    );
    const clip = clipImagesToTensor([testPattern(40, 30)], TINY_CLIP_PROCESSOR);
    expect(clip.shape).toEqual([1, 28, 28, 3]);
    const mask = latentKeepMaskTensor(new Float32Array(64).fill(1), 8, 8, 2, 2);
    expect(Array.from(mask.dataSync())).toEqual([1, 1, 1, 1]);
    tf.dispose([init, clip, mask]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("whole chains from an encoded upload (reference: Pillow 9.4.0 + the pipelines' arithmetic, exact)", () => {
  let ref: Map<string, HostTensor>;
  beforeAll(async () => {
    ref = await fixture('image', 'pil-reference.safetensors');
  });
  const upload = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, 'image', 'decode', name)));

  it('JPEG 700x500 -> img2img init image 128x96 (5x5 reduce, then bicubic)', async () => {
    const ours = prepareInitImage(await decodeImage(upload('chain-700x500.jpg')), 128, 96);
    expect(maxAbs(ours, Float32Array.from(ref.get('chain_init_image_700x500_jpg_to_128x96')!.data))).toBe(0);
  });

  it('PNG 300x400 -> CLIP pixel values 64x64', async () => {
    const cfg = parseClipImageProcessorConfig({ size: { shortest_edge: 64 }, crop_size: { height: 64, width: 64 } });
    const { pixels } = clipPreprocess(await decodeImage(upload('chain-300x400.png')), cfg);
    expect(maxAbs(pixels, Float32Array.from(ref.get('chain_clip_300x400_png_to_64')!.data))).toBe(0);
  });
});
