import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertComponent } from '../../convert/convert-component.js';
import { planComponent } from '../../convert/plan.js';
import { writeSafetensors } from '../../io/safetensors-writer.js';
import type { ModelConfig } from '../../models/component.js';
import { componentFor } from '../../models/registry.js';
import imageEncoder from './configs/image_encoder.json' with { type: 'json' };
import movq from './configs/movq.json' with { type: 'json' };
import prior from './configs/prior.json' with { type: 'json' };
import priorTextEncoder from './configs/prior_text_encoder.json' with { type: 'json' };
import textEncoder from './configs/text_encoder.json' with { type: 'json' };
import unet from './configs/unet.json' with { type: 'json' };
import unetInpaint from './configs/unet_inpaint.json' with { type: 'json' };

/**
 * Small configs of every Kandinsky 2.1 component (the same architectures as the real model, a few MB in all), by the
 * folder name the converted model uses.
 */
export const RANDOM_MODEL_CONFIGS: Record<string, ModelConfig> = {
  prior_text_encoder: priorTextEncoder,
  image_encoder: imageEncoder,
  prior,
  text_encoder: textEncoder,
  unet,
  unet_inpaint: unetInpaint,
  movq,
};

/**
 * Non-weight folders the pipelines load, copied as they are: the tiny XLM-R and CLIP tokenizers whose vocabularies
 * match the small text encoders (182 and 764 tokens), and the CLIP image-processor config for the 28 px image encoder.
 */
const ASSETS_DIR = fileURLToPath(new URL('./assets', import.meta.url));
const ASSET_FOLDERS = ['tokenizer', 'prior_tokenizer', 'image_processor'] as const;

/** Bumped when the way weights are made changes, so old caches are rebuilt. */
const BUILDER_VERSION = 2;
const MARKER = 'random-model.json';

/** What {@link buildRandomModel} made or found. */
export interface RandomModel {
  dir: string;
  /** True when a matching cached build was reused. */
  reused: boolean;
  parameterCount: number;
}

/**
 * Builds a converted model with seeded random weights through the real path: for each component, a
 * diffusers/transformers-style folder (`config.json` + safetensors with the reference key names and shapes) is written
 * and converted by `convertComponent`, exactly as real weights would be. The result loads with the same loader.
 * A build whose marker matches (configs, seed, builder version) is reused; the loader still verifies its checksums.
 * The images it makes are noise-like: the weights are random.
 */
export async function buildRandomModel(
  outDir: string,
  opts: { seed?: number; log?: (msg: string) => void } = {},
): Promise<RandomModel> {
  const seed = opts.seed ?? 20210;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ BUILDER_VERSION, seed, RANDOM_MODEL_CONFIGS }))
    .digest('hex');
  const marker = await readFile(join(outDir, MARKER), 'utf8').then(
    (t) => JSON.parse(t) as { fingerprint: string; parameterCount: number },
    () => null,
  );
  if (marker?.fingerprint === fingerprint) return { dir: outDir, reused: true, parameterCount: marker.parameterCount };

  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const scratch = join(outDir, '.checkpoints');
  let parameterCount = 0;
  const random = mulberry32(seed);
  for (const [name, config] of Object.entries(RANDOM_MODEL_CONFIGS)) {
    const src = join(scratch, name);
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'config.json'), JSON.stringify(config, null, 1));
    const def = componentFor(config, `${name}/config.json`);
    const plan = planComponent(def, config);
    const tensors: Parameters<typeof writeSafetensors>[1] = {};
    for (const graph of Object.values(plan.graphs)) {
      for (const w of graph.weights) {
        for (const s of w.sources)
          tensors[s.torchKey] = { shape: s.torchShape, data: randomWeight(s.torchKey, s.torchShape, random) };
      }
    }
    // Keys the reference holds but inference never reads (e.g. XLM-R's pooler) must exist for the strict converter.
    for (const key of plan.unusedKeys) tensors[key] = { shape: [1], data: new Float32Array(1) };
    const isDiffusers = typeof config._class_name === 'string';
    await writeSafetensors(
      join(src, isDiffusers ? 'diffusion_pytorch_model.safetensors' : 'model.safetensors'),
      tensors,
    );
    const manifest = await convertComponent(src, join(outDir, name));
    parameterCount += manifest.parameterCount;
    opts.log?.(
      `random model: ${name} (${manifest.kind}, ${manifest.parameterCount.toLocaleString('en-US')} parameters)`,
    );
  }
  await rm(scratch, { recursive: true, force: true });
  for (const folder of ASSET_FOLDERS) await cp(join(ASSETS_DIR, folder), join(outDir, folder), { recursive: true });
  await writeFile(
    join(outDir, MARKER),
    `${JSON.stringify({ fingerprint, seed, parameterCount, note: 'random weights: images are noise-like' }, null, 1)}\n`,
  );
  return { dir: outDir, reused: false, parameterCount };
}

/**
 * Values like PyTorch's default initialisation, so activations stay finite through every layer: norm scales 1,
 * biases 0, other weights uniform in +-1/sqrt(fan_in).
 */
function randomWeight(key: string, shape: number[], random: () => number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  const leaf = key.split('.').at(-1) ?? '';
  const isNorm = /norm|ln_|layernorm|LayerNorm/i.test(key);
  if (leaf === 'bias') return data;
  if (shape.length === 1 && (isNorm || leaf === 'weight')) return data.fill(1);
  const fanIn = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : shape[0];
  const bound = 1 / Math.sqrt(Math.max(1, fanIn));
  for (let i = 0; i < size; i++) data[i] = (random() * 2 - 1) * bound;
  return data;
}

/** A small, fast seeded PRNG (mulberry32): reproducible weights without a dependency. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
