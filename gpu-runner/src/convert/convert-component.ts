import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Checkpoint } from '../io/checkpoint.js';
import { ModelFileError } from '../io/errors.js';
import { floatToHalf } from '../io/half.js';
import type { ModelConfig } from '../models/component.js';
import { componentFor } from '../models/registry.js';
import { concatHost, toOurLayout } from './host-layout.js';
import { describeMismatch, matchPlan, planComponent } from './plan.js';
import { ShardWriter, type WrittenFile } from './shard-writer.js';

/** The storage dtype of converted weights: float16 halves the files; both load as float32. */
export type WeightDtype = 'float32' | 'float16';

export interface ConvertOptions {
  dtype?: WeightDtype;
  /** Upper bound of one weight shard file (default 64 MiB; one `fs.readFile` caps at 2 GiB). */
  shardBytes?: number;
  /** Called after each weight with bytes read so far, for progress bars and throughput figures. */
  onProgress?: (done: number, total: number) => void;
}

/** `component.json`: what a converted component folder holds, for the loader and for humans. */
export interface ComponentManifest {
  format: 'kandinsky-tfjs-component';
  version: 1;
  kind: string;
  /** The reference class (`_class_name` or `model_type`). */
  referenceClass: string;
  config: ModelConfig;
  dtype: WeightDtype;
  parameterCount: number;
  graphs: string[];
  /** Every file of the folder but this one, with its size and SHA-256. */
  files: Record<string, { bytes: number; sha256: string }>;
}

export const COMPONENT_MANIFEST = 'component.json';

/** Reads and parses a `config.json`, with clear errors. */
export async function readConfig(dir: string): Promise<ModelConfig> {
  const path = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ModelFileError('missing config.json: not a diffusers/transformers component folder', dir);
  }
  try {
    const config = JSON.parse(text);
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error('not an object');
    return config;
  } catch (err) {
    throw new ModelFileError(`config.json is not a JSON object (${(err as Error).message})`, path);
  }
}

/**
 * Converts one diffusers/transformers component folder (`config.json` + safetensors weights) into a TF.js layers
 * component folder: `<graph>/model.json` + bounded weight shards per graph, and `component.json` with the config
 * and checksums. The mapping is strict: it fails, listing every problem, unless each checkpoint key is used once
 * and every weight is filled with the right shape.
 */
export async function convertComponent(
  srcDir: string,
  outDir: string,
  opts: ConvertOptions = {},
): Promise<ComponentManifest> {
  const dtype = opts.dtype ?? 'float32';
  const shardBytes = opts.shardBytes ?? 64 * 1024 * 1024;
  const config = await readConfig(srcDir);
  const def = componentFor(config, join(srcDir, 'config.json'));
  let plan: ReturnType<typeof planComponent>;
  try {
    plan = planComponent(def, config);
  } catch (err) {
    throw new ModelFileError(
      `config.json does not describe a buildable ${def.kind}: ${(err as Error).message}`,
      srcDir,
    );
  }
  const ckpt = await Checkpoint.open(srcDir);
  try {
    const shapes = new Map(ckpt.keys().map((k) => [k, ckpt.info(k).shape]));
    const problem = describeMismatch(matchPlan(plan, shapes));
    if (problem) throw new ModelFileError(`checkpoint does not match the ${def.kind} config: ${problem}`, ckpt.path);

    const files: ComponentManifest['files'] = {};
    const total = Object.values(plan.graphs).reduce(
      (a, g) => a + g.weights.reduce((b, w) => b + w.shape.reduce((x, y) => x * y, 1) * 4, 0),
      0,
    );
    let done = 0;
    for (const [graph, { topology, weights }] of Object.entries(plan.graphs)) {
      const dir = join(outDir, graph);
      await mkdir(dir, { recursive: true });
      const writer = new ShardWriter(dir, 'group1', shardBytes);
      const manifestWeights: {
        name: string;
        shape: number[];
        dtype: 'float32';
        quantization?: { dtype: 'float16' };
      }[] = [];
      for (const w of weights) {
        const parts: Float32Array[] = [];
        for (const s of w.sources) {
          const t = await ckpt.read(s.torchKey);
          if (t.dtype !== 'float32') {
            throw new ModelFileError(`"${s.torchKey}" is an integer tensor; a float weight was expected`, ckpt.path);
          }
          parts.push(toOurLayout(t.data as Float32Array, s.torchShape, s.layout));
        }
        const partShape = [...w.shape];
        if (parts.length > 1) partShape[w.concatAxis ?? partShape.length - 1] /= parts.length;
        const values = parts.length === 1 ? parts[0] : concatHost(parts, partShape, w.concatAxis ?? w.shape.length - 1);
        await writer.write(encodeWeights(values, dtype));
        manifestWeights.push({
          name: w.name,
          shape: w.shape,
          dtype: 'float32',
          ...(dtype === 'float16' ? { quantization: { dtype: 'float16' as const } } : {}),
        });
        done += values.length * 4;
        opts.onProgress?.(done, total);
      }
      const paths = await writer.finish();
      for (const f of writer.files) files[`${graph}/${f.path}`] = { bytes: f.bytes, sha256: f.sha256 };
      const modelJson = {
        format: 'layers-model',
        generatedBy: 'kandinsky-ts converter',
        convertedBy: `kandinsky-ts (${def.kind})`,
        modelTopology: topology,
        weightsManifest: [{ paths, weights: manifestWeights }],
      };
      const jsonFile = await writeJson(join(dir, 'model.json'), modelJson);
      files[`${graph}/model.json`] = jsonFile;
    }
    const manifest: ComponentManifest = {
      format: 'kandinsky-tfjs-component',
      version: 1,
      kind: def.kind,
      referenceClass: String(config._class_name ?? config.model_type),
      config,
      dtype,
      parameterCount: plan.parameterCount,
      graphs: Object.keys(plan.graphs),
      files,
    };
    await writeFile(join(outDir, COMPONENT_MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
    return manifest;
  } finally {
    await ckpt.close();
  }
}

function encodeWeights(values: Float32Array, dtype: WeightDtype): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const half = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) half[i] = floatToHalf(values[i]);
  return new Uint8Array(half.buffer);
}

async function writeJson(path: string, value: unknown): Promise<Omit<WrittenFile, 'path'>> {
  const text = JSON.stringify(value);
  await writeFile(path, text);
  return { bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
}
