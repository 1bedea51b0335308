import { IMAGE_LIMITS } from '@kandinsky/protocol/image-bytes';
import {
  assemblePng,
  concatBytes,
  pngScanlineData,
  type TestPngSpec,
  zlibStored,
  zlibZeros,
} from '@kandinsky/protocol/image-bytes/testing';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error';
import { resolveInputImage } from './input-images';

const spec: TestPngSpec = {
  width: 32,
  height: 24,
  bitDepth: 8,
  colorType: 2,
  interlace: 0,
  samples: Array.from({ length: 32 * 24 * 3 }, (_, i) => (i * 13) & 0xff),
  filters: [0, 1, 2, 3, 4],
};
const raw = pngScanlineData(spec);
const rowBytes = 32 * 3 + 1;

/** The ApiError code and message `resolveInputImage` refuses `bytes` with (as an attachment), or 'accepted'. */
async function refusal(
  bytes: Uint8Array,
  param = 'input.image',
): Promise<{ code: string | null; param: string | null; message: string } | 'accepted'> {
  try {
    await resolveInputImage('attachment:file', param, new Map([['file', bytes]]));
    return 'accepted';
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    const { code, param: named, message, status } = err as ApiError;
    expect(status).toBe(400);
    return { code, param: named, message };
  }
}

describe('resolveInputImage runs the shared image check (in workerd)', () => {
  it('accepts a valid PNG and reports its size', async () => {
    const image = await resolveInputImage(
      'attachment:f',
      'input.image',
      new Map([['f', assemblePng(spec, zlibStored(raw))]]),
    );
    expect(image).toMatchObject({ format: 'png', contentType: 'image/png', width: 32, height: 24 });
  });

  it('refuses a PNG whose image data is a row or a byte short, naming the parameter', async () => {
    for (const short of [raw.subarray(0, raw.length - rowBytes), raw.subarray(0, raw.length - 1)]) {
      expect(await refusal(assemblePng(spec, zlibStored(short)))).toEqual({
        code: 'invalid_image',
        param: 'input.image',
        message: expect.stringMatching(
          /^input.image is not a valid image: PNG image data ends after \d+ of the 2328 bytes/,
        ),
      });
    }
  });

  it('refuses extra image data and bytes after the zlib stream', async () => {
    expect(await refusal(assemblePng(spec, zlibStored(concatBytes(raw, raw.subarray(0, rowBytes)))))).toMatchObject({
      code: 'invalid_image',
      message: expect.stringMatching(/more bytes than its IHDR declares/),
    });
    expect(await refusal(assemblePng(spec, concatBytes(zlibStored(raw), new Uint8Array([1, 2]))))).toMatchObject({
      code: 'invalid_image',
    });
  });

  it('refuses a zip bomb (4096x4096 declared, 1 GiB in a 6.7 MB stream) after inflating a bounded amount', async () => {
    const { stream, inflated } = zlibZeros(2 ** 30);
    const bomb = assemblePng({ width: 4096, height: 4096, bitDepth: 8, colorType: 0, interlace: 0 }, stream);
    expect(bomb.length).toBeLessThan(IMAGE_LIMITS.maxBytes);
    const verdict = await refusal(bomb, 'input.mask');
    expect(verdict).toMatchObject({ code: 'invalid_image', param: 'input.mask' });
    const produced = Number(/stopped after (\d+) bytes/.exec((verdict as { message: string }).message)?.[1]);
    expect(produced).toBeGreaterThan(4097 * 4096);
    expect(produced).toBeLessThan(4097 * 4096 + 8 * 2 ** 20);
    expect(inflated).toBeGreaterThan(2 ** 30 - 1);
  });

  it('keeps the established codes for size, format and dimensions', async () => {
    expect(await refusal(new Uint8Array(IMAGE_LIMITS.maxBytes + 1))).toMatchObject({ code: 'image_too_large' });
    expect(await refusal(new TextEncoder().encode('GIF89a-not-supported'))).toMatchObject({
      code: 'invalid_image_format',
    });
    const small = { ...spec, width: 8, height: 8, samples: Array.from(spec.samples).slice(0, 8 * 8 * 3) };
    expect(await refusal(assemblePng(small, zlibStored(pngScanlineData(small))))).toMatchObject({
      code: 'invalid_image_dimensions',
    });
  });

  it('refuses a JPEG that ends before EOI and a WebP whose RIFF size lies', async () => {
    // SOI, SOF0 64x64 gray, then the file ends.
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 64, 0, 64, 1, 1, 0x11, 0]);
    expect(await refusal(jpeg)).toMatchObject({
      code: 'invalid_image',
      message: expect.stringMatching(/before its EOI/),
    });
    const webp = new Uint8Array(30);
    webp.set(new TextEncoder().encode('RIFF'), 0);
    webp.set([200, 0, 0, 0], 4); // 208 bytes claimed, 30 present
    webp.set(new TextEncoder().encode('WEBPVP8X'), 8);
    expect(await refusal(webp)).toMatchObject({ code: 'invalid_image', message: expect.stringMatching(/RIFF size/) });
  });
});
