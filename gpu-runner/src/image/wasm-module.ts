import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

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
