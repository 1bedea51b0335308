import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { COMPONENT_MANIFEST, type ComponentManifest } from '../convert/convert-component.js';
import { ModelFileError } from '../io/errors.js';
import { digestMatches, fileDigest } from '../io/file-hash.js';
import { decodeFloat16 } from '../io/half.js';
import type { MemoryBudget } from '../tf/memory-budget.js';
import type { ModelConfig } from './component.js';
import './all-layers.js';

/** A converted component in memory: its graphs share nothing, so each can be run on its own. */
export interface LoadedComponent {
  kind: string;
  config: ModelConfig;
  manifest: ComponentManifest;
  graphs: Record<string, tf.LayersModel>;
  /** Bytes the weights take as float32 (what was reserved in the memory budget). */
  weightBytes: number;
  dispose(): void;
}

export interface LoadOptions {
  /** Reserve the weights here first; a component that cannot fit is refused before anything is allocated. */
  budget?: MemoryBudget;
  /** Check every file's SHA-256 against component.json (default true). */
  verifyChecksums?: boolean;
}

/**
 * Loads a component folder written by the converter. Weights stream from the shards one at a time into the model's
 * variables, so peak memory is the model plus one weight (never a whole shard set as `tf.loadLayersModel` would).
 */
export async function loadComponent(dir: string, opts: LoadOptions = {}): Promise<LoadedComponent> {
  const manifest = await readManifest(dir);
  const weightBytes = manifest.parameterCount * 4;
  const label = `${manifest.kind} (${dir})`;
  opts.budget?.reserve(label, weightBytes);
  try {
    if (opts.verifyChecksums ?? true) await verifyFiles(dir, manifest);
    const graphs: Record<string, tf.LayersModel> = {};
    try {
      for (const graph of manifest.graphs) graphs[graph] = await loadGraph(join(dir, graph));
    } catch (err) {
      for (const m of Object.values(graphs)) m.dispose();
      throw err;
    }
    return {
      kind: manifest.kind,
      config: manifest.config,
      manifest,
      graphs,
      weightBytes,
      dispose() {
        for (const m of Object.values(graphs)) m.dispose();
        opts.budget?.release(label);
      },
    };
  } catch (err) {
    opts.budget?.release(label);
    throw err;
  }
}

/** Reads and checks `component.json`. */
export async function readManifest(dir: string): Promise<ComponentManifest> {
  const path = join(dir, COMPONENT_MANIFEST);
  let manifest: ComponentManifest;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelFileError(
      code === 'ENOENT'
        ? 'not a converted component (no component.json); run `kandinsky convert` first'
        : 'component.json is not valid JSON',
      code === 'ENOENT' ? dir : path,
    );
  }
  if (manifest.format !== 'kandinsky-tfjs-component' || manifest.version !== 1) {
    throw new ModelFileError(`unsupported component format ${manifest.format}@${manifest.version}`, path);
  }
  return manifest;
}

async function verifyFiles(dir: string, manifest: ComponentManifest): Promise<void> {
  for (const [rel, expected] of Object.entries(manifest.files)) {
    const path = join(dir, rel);
    const got = await fileDigest(path).catch(() => {
      throw new ModelFileError('missing file listed in component.json', path);
    });
    if (!digestMatches(got, expected)) {
      throw new ModelFileError(
        `checksum mismatch (${got.bytes} bytes; expected ${expected.bytes}): the file is corrupt`,
        path,
      );
    }
  }
}

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string };
}

async function loadGraph(dir: string): Promise<tf.LayersModel> {
  const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const model = await tf.models.modelFromJSON({ modelTopology: modelJson.modelTopology } as tf.io.ModelJSON);
  try {
    const variables = new Map(model.weights.map((w) => [w.originalName, w]));
    const filled = new Set<string>();
    for (const group of modelJson.weightsManifest) {
      const reader = new ShardReader(dir, group.paths);
      try {
        for (const spec of group.weights as ManifestWeight[]) {
          const count = spec.shape.reduce((a, b) => a * b, 1);
          const half = spec.quantization?.dtype === 'float16';
          if (spec.quantization && !half) {
            throw new ModelFileError(`weight ${spec.name}: unsupported quantization ${spec.quantization.dtype}`, dir);
          }
          const bytes = await reader.next(count * (half ? 2 : 4));
          const values = half ? decodeFloat16(bytes) : new Float32Array(bytes.buffer, bytes.byteOffset, count);
          const variable = variables.get(spec.name);
          if (!variable) throw new ModelFileError(`weight ${spec.name} has no place in the model`, dir);
          const shape = variable.shape;
          if (shape.length !== spec.shape.length || shape.some((d, i) => d !== spec.shape[i])) {
            throw new ModelFileError(
              `weight ${spec.name} has shape [${spec.shape}] but the model needs [${shape}]`,
              dir,
            );
          }
          const t = tf.tensor(values, spec.shape, 'float32');
          variable.write(t);
          t.dispose();
          filled.add(spec.name);
        }
      } finally {
        await reader.close();
      }
    }
    const unfilled = [...variables.keys()].filter((n) => !filled.has(n));
    if (unfilled.length) throw new ModelFileError(`weights never filled: ${unfilled.join(', ')}`, dir);
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Reads a weight group's shards as one continuous byte stream. */
class ShardReader {
  private index = -1;
  private handle?: FileHandle;
  private remaining = 0;

  constructor(
    private readonly dir: string,
    private readonly paths: string[],
  ) {}

  async next(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (!this.handle || this.remaining === 0) await this.openNext();
      const want = Math.min(n - filled, this.remaining);
      const { bytesRead } = await this.handle!.read(out, filled, want, null);
      if (bytesRead === 0) throw new ModelFileError('weight shard ended early', join(this.dir, this.paths[this.index]));
      filled += bytesRead;
      this.remaining -= bytesRead;
    }
    return out;
  }

  private async openNext(): Promise<void> {
    await this.close();
    this.index++;
    if (this.index >= this.paths.length)
      throw new ModelFileError('weight shards hold fewer bytes than model.json lists', this.dir);
    const path = join(this.dir, this.paths[this.index]);
    this.handle = await open(path, 'r');
    this.remaining = (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
