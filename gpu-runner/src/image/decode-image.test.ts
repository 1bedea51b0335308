import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixture } from '../../test/helpers/tensors.js';
import type { HostTensor } from '../io/safetensors.js';
import { decodeImage } from './decode-image.js';
import { ImageInputError } from './image-errors.js';
import type { Raster } from './raster.js';

interface DecodeCase {
  name: string;
  file: string;
  mode: string;
}

const DIR = join(FIXTURES, 'image');
const CASES: DecodeCase[] = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')).decode;
const file = (name: string) => new Uint8Array(readFileSync(join(DIR, 'decode', name)));

/** Largest per-byte difference from what Pillow 9.4.0 decoded (`load_image`: exif_transpose + convert("RGB")). */
function maxByteDiff(actual: Raster, expected: HostTensor): number {
  expect([actual.height, actual.width, actual.channels]).toEqual(expected.shape);
  let max = 0;
  for (let i = 0; i < actual.data.length; i++) max = Math.max(max, Math.abs(actual.data[i] - expected.data[i]));
  return max;
}

describe('decodeImage matches what the reference loads (Pillow 9.4.0)', () => {
  let ref: Map<string, HostTensor>;
  beforeAll(async () => {
    ref = await fixture('image', 'pil-reference.safetensors');
  });

  for (const c of CASES) {
    it(`${c.file} (PIL mode ${c.mode}) byte for byte`, async () => {
      expect(maxByteDiff(await decodeImage(file(c.file)), ref.get(c.name)!)).toBe(0);
    });
  }

  /** The error code and message `decodeImage` rejects with (undefined when it decodes). */
  async function failure(bytes: Uint8Array, maxPixels?: number): Promise<[string, string] | undefined> {
    try {
      await decodeImage(bytes, { maxPixels });
    } catch (e) {
      expect(e).toBeInstanceOf(ImageInputError);
      return [(e as ImageInputError).code, (e as Error).message];
    }
    return undefined;
  }

  it('refuses images over the pixel cap before decoding them', async () => {
    for (const name of ['rgb.png', 'rgb-q90.jpg', 'rgb-q80.webp', 'rgba-lossless.webp', 'orientation8.webp']) {
      expect((await failure(file(name), 20))?.[0], name).toBe('too_large');
    }
    expect(await failure(file('rgb-q80.webp'), 48 * 32)).toBeUndefined();
    expect(await failure(file('rgb-lossless.webp'), 23 * 17)).toBeUndefined();
  });

  it('names unsupported and unreadable inputs', async () => {
    expect(await failure(new Uint8Array(Buffer.from('GIF89a....')))).toEqual([
      'unsupported_format',
      expect.stringMatching(/GIF/),
    ]);
    expect((await failure(new Uint8Array([1, 2, 3])))?.[0]).toBe('unsupported_format');
    expect((await failure(new Uint8Array()))?.[0]).toBe('empty');
    expect((await failure(file('rgb.png').subarray(0, 60)))?.[0]).toBe('truncated');
    const jpeg = file('rgb-q90.jpg');
    expect((await failure(jpeg.subarray(0, jpeg.length >> 1)))?.[0]).toBe('truncated');
    expect(await failure(file('animated.webp'))).toEqual(['unsupported_format', expect.stringMatching(/animated/)]);
    const webp = file('rgb-q80.webp');
    expect((await failure(webp.subarray(0, webp.length >> 1)))?.[0]).toBe('truncated');
  });
});
