import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { nchwToNhwc, tinyCheckpoint, tinyFixture } from '../../test/helpers/tensors.js';
import { readSafetensors } from '../io/safetensors.js';
import { writeSafetensors } from '../io/safetensors-writer.js';
import { loadComponent } from '../models/load-component.js';
import { MemoryBudget, MemoryBudgetError } from '../tf/memory-budget.js';
import { convertComponent } from './convert-component.js';
import { convertModelFolder } from './convert-model-folder.js';

/** The tiny reference MoVQ as a diffusers checkpoint folder. */
let MOVQ: string;
let dir: string;

beforeAll(async () => {
  await useTestBackend();
  MOVQ = await tinyCheckpoint('movq');
  dir = await mkdtemp(join(tmpdir(), 'convert-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A copy of the MoVQ fixture whose checkpoint has been edited by `edit`. */
async function editedMoVQ(name: string, edit: (t: Record<string, { shape: number[]; data: Float32Array }>) => void) {
  const src = join(dir, name);
  await mkdir(src, { recursive: true });
  await cp(join(MOVQ, 'config.json'), join(src, 'config.json'));
  const tensors = Object.fromEntries(
    [...(await readSafetensors(join(MOVQ, 'diffusion_pytorch_model.safetensors')))].map(([k, v]) => [
      k,
      { shape: v.shape, data: v.data as Float32Array },
    ]),
  );
  edit(tensors);
  await writeSafetensors(join(src, 'diffusion_pytorch_model.safetensors'), tensors);
  return src;
}

describe('converter', () => {
  it('float16 weights load as float32 and decode within 2e-2 of the fp32 reference (halved files)', async () => {
    const out16 = join(dir, 'f16');
    const m16 = await convertComponent(MOVQ, out16, { dtype: 'float16' });
    const m32 = await convertComponent(MOVQ, join(dir, 'f32'), { dtype: 'float32' });
    const size = (m: typeof m16) => Object.values(m.files).reduce((a, f) => a + f.bytes, 0);
    expect(size(m16)).toBeLessThan(size(m32) * 0.6);
    const movq = await loadComponent(out16);
    const inputs = await tinyFixture('movq', 'inputs.safetensors');
    const outputs = await tinyFixture('movq', 'outputs.safetensors');
    const z = nchwToNhwc(inputs.get('decode_input_latents')!);
    const image = movq.graphs.decoder.predict(z) as tf.Tensor;
    const expected = nchwToNhwc(outputs.get('decode_force_not_quantize.sample')!);
    const err = tf.max(tf.abs(tf.sub(image, expected))).dataSync()[0];
    expect(err).toBeGreaterThan(0); // float16 rounding must be visible, or the test is not testing float16
    expect(err).toBeLessThan(2e-2);
    tf.dispose([z, image, expected]);
    movq.dispose();
  });

  it('writes models that stock tf.loadLayersModel can read', async () => {
    const out = join(dir, 'stock');
    await convertComponent(MOVQ, out);
    const json = JSON.parse(await readFile(join(out, 'decoder', 'model.json'), 'utf8'));
    const shards = await Promise.all(
      json.weightsManifest[0].paths.map((p: string) => readFile(join(out, 'decoder', p))),
    );
    const data = Buffer.concat(shards);
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      }),
    );
    const ours = await loadComponent(out);
    const z = tf.randomNormal([1, 4, 4, 4], 0, 1, 'float32', 7);
    const a = model.predict(z) as tf.Tensor;
    const b = ours.graphs.decoder.predict(z) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    tf.dispose([z, a, b]);
    model.dispose();
    ours.dispose();
  });

  it('lists missing, unexpected and mis-shaped keys in one error and writes nothing', async () => {
    const src = await editedMoVQ('broken', (t) => {
      delete t['decoder.conv_out.bias'];
      t['decoder.extra.weight'] = { shape: [1], data: new Float32Array(1) };
      const w = t['quant_conv.weight'];
      t['quant_conv.weight'] = { shape: [4, 4, 1, 1, 1], data: w.data };
    });
    const out = join(dir, 'broken-out');
    const err = await convertComponent(src, out).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/checkpoint does not match the movq config/);
    expect(msg).toMatch(/1 missing keys: decoder\.conv_out\.bias/);
    expect(msg).toMatch(/1 unexpected keys: decoder\.extra\.weight/);
    expect(msg).toMatch(/quant_conv\.weight expected \[4,4,1,1\] found \[4,4,1,1,1\]/);
    await expect(readFile(join(out, 'component.json'))).rejects.toThrow();
  });

  it('refuses a config that is not a supported component, or that is invalid', async () => {
    const src = join(dir, 'badconfig');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'config.json'), JSON.stringify({ _class_name: 'AutoencoderKL' }));
    await expect(convertComponent(src, join(dir, 'x'))).rejects.toThrow(
      /unsupported component "AutoencoderKL"; supported: movq/,
    );
    await writeFile(join(src, 'config.json'), '{"_class_name": "VQModel", ');
    await expect(convertComponent(src, join(dir, 'x'))).rejects.toThrow(/config\.json is not a JSON object/);
    const config = JSON.parse(await readFile(join(MOVQ, 'config.json'), 'utf8'));
    await writeFile(
      join(src, 'config.json'),
      JSON.stringify({
        ...config,
        up_block_types: ['FancyBlock', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
      }),
    );
    await expect(convertComponent(src, join(dir, 'x'))).rejects.toThrow(/unsupported up block FancyBlock/);
  });

  it('converts a diffusers pipeline folder and copies its scheduler', async () => {
    const pipe = join(dir, 'pipe');
    await cp(MOVQ, join(pipe, 'movq'), { recursive: true });
    await mkdir(join(pipe, 'scheduler'));
    await writeFile(join(pipe, 'scheduler', 'scheduler_config.json'), '{"_class_name": "DDIMScheduler"}');
    await writeFile(
      join(pipe, 'model_index.json'),
      JSON.stringify({
        _class_name: 'KandinskyPipeline',
        movq: ['diffusers', 'VQModel'],
        scheduler: ['diffusers', 'DDIMScheduler'],
      }),
    );
    const result = await convertModelFolder(pipe, join(dir, 'pipe-out'));
    expect(Object.keys(result.components)).toEqual(['movq']);
    expect(result.copied).toEqual(['scheduler']);
    await expect(readFile(join(dir, 'pipe-out', 'scheduler', 'scheduler_config.json'), 'utf8')).resolves.toContain(
      'DDIM',
    );
  });
});

describe('loader', () => {
  it('detects a corrupted weight shard by checksum', async () => {
    const out = join(dir, 'corrupt');
    const m = await convertComponent(MOVQ, out);
    const shard = Object.keys(m.files).find((f) => f.endsWith('.bin'))!;
    const bytes = await readFile(join(out, shard));
    bytes[100] ^= 0xff;
    await writeFile(join(out, shard), bytes);
    await expect(loadComponent(out)).rejects.toThrow(/checksum mismatch .*the file is corrupt/);
  });

  it('refuses a model set that cannot fit the memory budget before allocating anything', async () => {
    const out = join(dir, 'budget');
    await convertComponent(MOVQ, out);
    const budget = new MemoryBudget(6 * 1024 * 1024, 1024 * 1024);
    const before = tf.memory().numTensors;
    const first = await loadComponent(out, { budget }); // 4.4 MB fits in 6 MB minus 1 MB headroom
    const afterFirst = tf.memory().numTensors;
    const err = await loadComponent(out, { budget }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect((err as Error).message).toMatch(
      /cannot load movq .*\(4\.2 MiB\): the backend holds at most 6\.0 MiB, 1\.0 MiB is kept for activations, and movq .* 4\.2 MiB is already loaded/,
    );
    expect(tf.memory().numTensors).toBe(afterFirst);
    first.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(budget.usedBytes).toBe(0);
  });

  it('says what to do when a folder is not converted', async () => {
    await expect(loadComponent(MOVQ)).rejects.toThrow(
      /not a converted component \(no component\.json\); run `kandinsky convert` first/,
    );
  });
});
