// Test-only helpers (Node: reads fixtures, deflates with node:zlib); never imported by the check itself.
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { type AssemblePngOptions, assemblePng, pngScanlineData, type TestPngSpec } from './testing/index.js';

/** Test fixture bytes (protocol/test/fixtures). */
export const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url)));

/** zlib stream of `data` (Node's deflate). */
export const deflate = (data: Uint8Array) => new Uint8Array(deflateSync(data));

/** A width x height 8-bit gray spec with a gradient, filters cycling through all five types. */
export function graySpec(width = 20, height = 18, interlace = 0): TestPngSpec {
  return {
    width,
    height,
    bitDepth: 8,
    colorType: 0,
    interlace,
    samples: Array.from({ length: width * height }, (_, i) => (i * 7) & 0xff),
    filters: [0, 1, 2, 3, 4],
  };
}

/** A PNG of `spec` whose scanline data went through `edit` before compression. */
export function pngWith(
  spec: TestPngSpec,
  edit: (raw: Uint8Array) => Uint8Array = (raw) => raw,
  options: AssemblePngOptions = {},
): Uint8Array {
  return assemblePng(spec, deflate(edit(pngScanlineData(spec))), options);
}
