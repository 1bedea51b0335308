import { describe, expect, it } from 'vitest';
import { tinyPng } from '../../test/helpers';
import { probeImage } from './image-probe';

describe('probeImage', () => {
  it('reads PNG dimensions from IHDR', async () => {
    expect(probeImage(await tinyPng(80, 48))).toEqual({
      format: 'png',
      contentType: 'image/png',
      width: 80,
      height: 48,
    });
  });

  it('reads a baseline JPEG frame header', () => {
    // SOI, APP0 (length 4, 2 payload bytes), SOF0 with height 0x0100 and width 0x0200.
    const jpeg = new Uint8Array([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x00, 0x02, 0x00, 0x03, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(probeImage(jpeg)).toEqual({ format: 'jpeg', contentType: 'image/jpeg', width: 512, height: 256 });
  });

  it('reads a VP8X WebP canvas size', () => {
    const webp = new Uint8Array(30);
    webp.set(new TextEncoder().encode('RIFF'), 0);
    webp.set(new TextEncoder().encode('WEBPVP8X'), 8);
    webp.set([0xff, 0x01, 0x00], 24); // width - 1 = 511
    webp.set([0x7f, 0x00, 0x00], 27); // height - 1 = 127
    expect(probeImage(webp)).toEqual({ format: 'webp', contentType: 'image/webp', width: 512, height: 128 });
  });

  it('rejects other formats and truncated headers', async () => {
    expect(probeImage(new TextEncoder().encode('GIF89a...............................'))).toBeNull();
    expect(probeImage((await tinyPng()).subarray(0, 20))).toBeNull();
    expect(probeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2]))).toBeNull();
  });
});
