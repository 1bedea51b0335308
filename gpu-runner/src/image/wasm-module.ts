import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ImageInputError } from './image-errors.js';
import { createRaster, type Raster } from './raster.js';

const require = createRequire(import.meta.url);

/** A compiled wasm module, opaque here. */
export type WasmModule = object;
/** The part of the WebAssembly global used here (the project's TypeScript libs declare no WebAssembly types). */
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };

/**
 * Compiles a `.wasm` file shipped inside an npm package (e.g. `@jsquash/webp/codec/dec/webp_dec.wasm`). The
 * Squoosh codec packages otherwise fetch their wasm by URL, which Node cannot do, so they are initialized with this.
 */
export async function compilePackageWasm(specifier: string): Promise<WasmModule> {
  return WebAssembly.compile(await readFile(require.resolve(specifier)));
}

/** The RGBA pixels a Squoosh codec (`@jsquash/*`) decodes to or encodes from (the browser `ImageData` shape). */
export interface WasmImageData {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** The part of a Squoosh codec entry module (`@jsquash/<format>/decode.js` or `encode.js`) used here. */
interface SquooshCodecEntry {
  init(module: WasmModule, moduleOptions?: Record<string, unknown>): Promise<unknown>;
  default: unknown;
}

/**
 * Loads a Squoosh codec on first use: imports its entry module, initializes it with the package's wasm file (named
 * by `wasmSpecifier`, which may decide at run time, e.g. a SIMD build) and resolves to the codec function. Every call
 * shares the first call's promise, so each wasm module is compiled once per process. `moduleOptions` go to the
 * Emscripten module (e.g. `printErr`, to capture what the C library prints).
 */
export function squooshCodec<CodecFn>(
  importEntry: () => Promise<SquooshCodecEntry>,
  wasmSpecifier: () => string | Promise<string>,
  moduleOptions?: Record<string, unknown>,
): () => Promise<CodecFn> {
  let codec: Promise<CodecFn> | undefined;
  return () => {
    codec ??= (async () => {
      const [entry, specifier] = await Promise.all([importEntry(), wasmSpecifier()]);
      await entry.init(await compilePackageWasm(specifier), moduleOptions);
      return entry.default as CodecFn;
    })();
    return codec;
  };
}

/**
 * The RGB raster of decoded RGBA pixels, alpha dropped as PIL's `convert("RGB")` does. Output of any other length
 * than width x height x 4 is refused: no pixel may come from outside what the codec wrote.
 */
export function rgbFromWasmImage(img: WasmImageData): Raster {
  if (img.data.length !== img.width * img.height * 4) {
    throw new ImageInputError(
      'corrupt',
      `decoder returned ${img.data.length} bytes for ${img.width}x${img.height} RGBA pixels`,
    );
  }
  const out = createRaster(img.width, img.height, 3);
  for (let p = 0; p < img.width * img.height; p++) {
    out.data[p * 3] = img.data[p * 4];
    out.data[p * 3 + 1] = img.data[p * 4 + 1];
    out.data[p * 3 + 2] = img.data[p * 4 + 2];
  }
  return out;
}
