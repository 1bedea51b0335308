/**
 * Converter throughput: writes a full-size MoVQ checkpoint (all 431 real keys and shapes, random values, ~271 MB)
 * and converts it, reporting MB/s of checkpoint read -> transposed -> sharded -> hashed, for fp32 and fp16 output.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertComponent } from '../src/convert/convert-component.js';
import { writeSafetensors } from '../src/io/safetensors-writer.js';
import { report, timeOnce } from './util.js';

const fixtures = join(import.meta.dirname, '../test/fixtures/full-keys');
const dir = await mkdtemp(join(tmpdir(), 'convert-bench-'));
try {
  const src = join(dir, 'movq');
  await import('node:fs/promises').then((fs) => fs.mkdir(src));
  await writeFile(join(src, 'config.json'), readFileSync(join(fixtures, 'movq_config.json')));
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  let bytes = 0;
  for (const line of readFileSync(join(fixtures, 'movq.txt'), 'utf8').split('\n').filter(Boolean)) {
    const [key, shapeText] = line.split('\t');
    const shape = JSON.parse(shapeText) as number[];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 0.02;
    tensors[key] = { shape, data };
    bytes += data.byteLength;
  }
  await writeSafetensors(join(src, 'diffusion_pytorch_model.safetensors'), tensors);
  for (const dtype of ['float32', 'float16'] as const) {
    const seconds = await timeOnce(async () => {
      await convertComponent(src, join(dir, `out-${dtype}`), { dtype });
    });
    report({
      name: 'converter_throughput',
      checkpoint: 'movq full-size (431 tensors)',
      dtype,
      megabytes: Number((bytes / 1e6).toFixed(1)),
      seconds: Number(seconds.toFixed(3)),
      mb_per_s: Number((bytes / 1e6 / seconds).toFixed(1)),
    });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
