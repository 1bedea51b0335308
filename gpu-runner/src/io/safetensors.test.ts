import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint } from './checkpoint.js';
import { ModelFileError } from './errors.js';
import { readSafetensors, SafetensorsFile } from './safetensors.js';
import { writeSafetensors } from './safetensors-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'st-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Hand-writes a safetensors file so the reader is tested against the format, not against our writer. */
async function handWritten(path: string, header: object, data: Buffer): Promise<void> {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  await writeFile(path, Buffer.concat([len, json, data]));
}

describe('safetensors reader', () => {
  it('decodes F32, F16, BF16 and I64 tensors from a hand-written file', async () => {
    const f32 = Buffer.from(new Float32Array([1.5, -2]).buffer);
    const f16 = Buffer.from(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer); // 1, -2, 0.33325
    const bf16 = Buffer.from(new Uint16Array([0x3f80, 0xc040]).buffer); // 1, -3
    const i64 = Buffer.from(new BigInt64Array([7n, -1n]).buffer);
    const path = join(dir, 'types.safetensors');
    let o = 0;
    const at = (b: Buffer) => {
      const begin = o;
      o += b.length;
      return [begin, o];
    };
    await handWritten(
      path,
      {
        __metadata__: { format: 'pt' },
        a: { dtype: 'F32', shape: [2], data_offsets: at(f32) },
        b: { dtype: 'F16', shape: [3], data_offsets: at(f16) },
        c: { dtype: 'BF16', shape: [1, 2], data_offsets: at(bf16) },
        d: { dtype: 'I64', shape: [2], data_offsets: at(i64) },
      },
      Buffer.concat([f32, f16, bf16, i64]),
    );
    const t = await readSafetensors(path);
    expect(Array.from(t.get('a')!.data)).toEqual([1.5, -2]);
    expect(Array.from(t.get('b')!.data)).toEqual([1, -2, 0.333251953125]);
    expect(t.get('c')!.shape).toEqual([1, 2]);
    expect(Array.from(t.get('c')!.data)).toEqual([1, -3]);
    expect(t.get('d')!.dtype).toBe('int32');
    expect(Array.from(t.get('d')!.data)).toEqual([7, -1]);
  });

  it('round-trips what the writer writes, including float16 storage', async () => {
    const path = join(dir, 'rt.safetensors');
    const values = new Float32Array([0.1, -3.25, 65504, 1e-5]);
    await writeSafetensors(path, { x: { shape: [2, 2], data: values }, h: { shape: [4], data: values, dtype: 'F16' } });
    const t = await readSafetensors(path);
    expect(Array.from(t.get('x')!.data)).toEqual(Array.from(values));
    const h = t.get('h')!.data;
    for (const [i, v] of values.entries())
      expect(Math.abs(h[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 6e-8);
  });

  it('refuses a missing, truncated or corrupt file with one clear error naming the file', async () => {
    const good = join(dir, 'good.safetensors');
    await writeSafetensors(good, { w: { shape: [256], data: new Float32Array(256).fill(1) } });
    const bytes = await readFile(good);

    await expect(SafetensorsFile.open(join(dir, 'nope.safetensors'))).rejects.toThrow(/nope\.safetensors: cannot read/);

    const truncated = join(dir, 'truncated.safetensors');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(SafetensorsFile.open(truncated)).rejects.toThrow(
      /truncated safetensors file: tensor "w" ends at byte/,
    );

    const tiny = join(dir, 'tiny.safetensors');
    await writeFile(tiny, Buffer.from([1, 2, 3]));
    await expect(SafetensorsFile.open(tiny)).rejects.toThrow(ModelFileError);

    const badLen = join(dir, 'badlen.safetensors');
    const copy = Buffer.from(bytes);
    copy.writeBigUInt64LE(1n << 40n, 0);
    await writeFile(badLen, copy);
    await expect(SafetensorsFile.open(badLen)).rejects.toThrow(/header length \d+ does not fit/);

    const badJson = join(dir, 'badjson.safetensors');
    const copy2 = Buffer.from(bytes);
    copy2[9] = 0x7b; // breaks the JSON after the opening brace
    await writeFile(badJson, copy2);
    await expect(SafetensorsFile.open(badJson)).rejects.toThrow(/header is not valid JSON/);

    const wrongSpan = join(dir, 'span.safetensors');
    await handWritten(wrongSpan, { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8));
    await expect(SafetensorsFile.open(wrongSpan)).rejects.toThrow(/should take 12 bytes but its data_offsets span 8/);

    const badDtype = join(dir, 'dtype.safetensors');
    await handWritten(badDtype, { w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, Buffer.alloc(8));
    await expect(SafetensorsFile.open(badDtype)).rejects.toThrow(/unsupported dtype "C64"/);
  });
});

describe('sharded checkpoints', () => {
  it('reads tensors through a *.safetensors.index.json and finds it in a folder', async () => {
    const sharded = join(dir, 'sharded');
    await rm(sharded, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(sharded));
    await writeSafetensors(join(sharded, 'model-00001-of-00002.safetensors'), {
      a: { shape: [2], data: new Float32Array([1, 2]) },
    });
    await writeSafetensors(join(sharded, 'model-00002-of-00002.safetensors'), {
      b: { shape: [1], data: new Float32Array([3]) },
    });
    await writeFile(
      join(sharded, 'model.safetensors.index.json'),
      JSON.stringify({
        metadata: {},
        weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
      }),
    );
    const ckpt = await Checkpoint.open(sharded);
    try {
      expect(ckpt.keys().sort()).toEqual(['a', 'b']);
      expect(Array.from((await ckpt.read('b')).data)).toEqual([3]);
      expect(ckpt.info('a').shape).toEqual([2]);
    } finally {
      await ckpt.close();
    }
  });

  it('reports an index that points at a shard without the tensor', async () => {
    const bad = join(dir, 'badindex');
    await import('node:fs/promises').then((fs) => fs.mkdir(bad, { recursive: true }));
    await writeSafetensors(join(bad, 's1.safetensors'), { a: { shape: [1], data: new Float32Array([1]) } });
    await writeFile(
      join(bad, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { zzz: 's1.safetensors' } }),
    );
    await expect(Checkpoint.open(bad)).rejects.toThrow(/maps "zzz" to s1\.safetensors, which does not hold it/);
  });
});
