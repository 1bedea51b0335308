import { describe, expect, it } from 'vitest';
import { rgbFromWasmImage, squooshCodec } from './wasm-module.js';

describe('squooshCodec', () => {
  it('imports, compiles and initializes a codec once however many callers ask', async () => {
    let imports = 0;
    const initializedWith: unknown[] = [];
    const codec = () => 'decoded';
    const load = squooshCodec<typeof codec>(
      async () => {
        imports++;
        return {
          init: async (module: object) => {
            initializedWith.push(module);
          },
          default: codec,
        };
      },
      () => '@jsquash/webp/codec/dec/webp_dec.wasm',
    );
    const [a, b] = await Promise.all([load(), load()]);
    expect(await load()).toBe(codec);
    expect(a).toBe(codec);
    expect(b).toBe(codec);
    expect(imports).toBe(1);
    expect(initializedWith).toHaveLength(1);
    expect(initializedWith[0]).toBeInstanceOf(Object);
  });
});

describe('rgbFromWasmImage', () => {
  it('drops the alpha channel, keeping RGB order', () => {
    const img = { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 0]) };
    const rgb = rgbFromWasmImage(img);
    expect(rgb).toMatchObject({ width: 2, height: 1, channels: 3 });
    expect(Array.from(rgb.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
