import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError } from '../io/errors.js';
import { readSafetensors } from '../io/safetensors.js';
import { convertBinIndex, convertBinToSafetensors, safetensorsNameFor } from './bin-to-safetensors.js';
import { TorchBinFile } from './torch-bin.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/hub');
const PICKLE = join(FIXTURES, 'pickle');
/** The file the hostile fixtures try to create when loaded with Python's pickle (see make_fixtures.py). */
const MARKER = '/tmp/kandinsky-pickle-fixture-was-executed';

interface Expected {
  dtype: string;
  shape: number[];
  values: number[];
}

const TORCH_TO_SAFETENSORS: Record<string, string> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'torch-bin-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function expected(path: string): Promise<Record<string, Expected>> {
  return JSON.parse(await readFile(path, 'utf8'));
}

describe('TorchBinFile (files written by torch 1.13 torch.save)', () => {
  for (const file of ['tensors.bin', 'tensors-protocol4.bin', 'tensors-zip64.bin']) {
    it(`${file}: every dtype, shared storage, offsets, non-contiguous views, 0-d/empty tensors, nn.Parameter`, async () => {
      const want = await expected(join(PICKLE, 'tensors.expected.json'));
      const bin = await TorchBinFile.open(join(PICKLE, file));
      try {
        expect([...bin.tensors.keys()]).toEqual(Object.keys(want));
        for (const [name, w] of Object.entries(want)) {
          const info = bin.tensors.get(name)!;
          expect(info.dtype, name).toBe(TORCH_TO_SAFETENSORS[w.dtype]);
          expect(info.shape, name).toEqual(w.shape);
        }
        expect(bin.tensors.get('tied_view')!.storageOffset).toBe(4);
        expect(bin.tensors.get('transposed')!.stride).toEqual([1, 3]);
      } finally {
        await bin.close();
      }
      // Values: through the safetensors file the converter reads (floats decode to float32, ints to int32).
      const out = join(work, `${file}.safetensors`);
      await convertBinToSafetensors(join(PICKLE, file), out);
      const got = await readSafetensors(out);
      for (const [name, w] of Object.entries(want)) {
        const t = got.get(name)!;
        expect(t.shape, name).toEqual(w.shape);
        // float64 -> float32 rounds; every other dtype is exact in float32/int32.
        expect(Array.from(t.data), name).toEqual(w.values.map((v) => (w.dtype === 'float64' ? Math.fround(v) : v)));
      }
    });
  }

  it('keeps fp16 tensors as F16 bytes, bit for bit', async () => {
    const bin = await TorchBinFile.open(join(PICKLE, 'tensors.bin'));
    try {
      const bytes = await bin.readBytes('f16');
      // 1.5, -2.25, 65504, 2^-14 as IEEE half
      expect(Array.from(new Uint16Array(bytes.slice().buffer))).toEqual([0x3e00, 0xc080, 0x7bff, 0x0400]);
    } finally {
      await bin.close();
    }
  });

  it('refuses a pickle that calls os.system, without executing it', async () => {
    await rm(MARKER, { force: true });
    const err = await TorchBinFile.open(join(PICKLE, 'malicious-system.bin')).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect(err.message).toMatch(/refused: the pickle references posix\.system, which a PyTorch state dict never needs/);
    expect(existsSync(MARKER)).toBe(false);
  });

  it('refuses a protocol-4 pickle that reaches builtins.exec through STACK_GLOBAL', async () => {
    const err = await TorchBinFile.open(join(PICKLE, 'malicious-exec.bin')).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect(err.message).toMatch(/builtins\.exec/);
    expect(existsSync(MARKER)).toBe(false);
  });

  it('names the legacy (pre-zip) format instead of guessing', async () => {
    await expect(TorchBinFile.open(join(PICKLE, 'legacy.bin'))).rejects.toThrow(
      /legacy torch < 1\.6 checkpoints are not supported/,
    );
  });

  it('detects a flipped byte in a storage through the zip CRC', async () => {
    const damaged = join(work, 'damaged.bin');
    const bytes = await readFile(join(PICKLE, 'tensors.bin'));
    // Storage member data/0 holds "f32"; find its first value (-1.0f = 00 00 80 bf) and corrupt it.
    const at = bytes.indexOf(Buffer.from([0x00, 0x00, 0x80, 0xbf]));
    expect(at).toBeGreaterThan(0);
    bytes[at + 2] ^= 0x01;
    await writeFile(damaged, bytes);
    const bin = await TorchBinFile.open(damaged);
    try {
      await expect(bin.readBytes('f32')).rejects.toThrow(/data\/0" is corrupt: its CRC-32 does not match/);
    } finally {
      await bin.close();
    }
  });

  it('refuses a compressed member (PyTorch stores members uncompressed)', async () => {
    const bytes = await readFile(join(PICKLE, 'tensors.bin'));
    // Set the compression method of the central-directory entry of tensors/data.pkl to 8 (deflate).
    const entry = bytes.indexOf(Buffer.from('PK\x01\x02', 'latin1'));
    expect(bytes.toString('latin1', entry + 46, entry + 46 + 16)).toBe('tensors/data.pkl');
    bytes.writeUInt16LE(8, entry + 10);
    const path = join(work, 'compressed.bin');
    await writeFile(path, bytes);
    await expect(TorchBinFile.open(path)).rejects.toThrow(/member "tensors\/data\.pkl" is compressed \(method 8\)/);
  });

  it('refuses an expanded (stride-0) view instead of allocating for it', async () => {
    await expect(TorchBinFile.open(join(PICKLE, 'expanded.bin'))).rejects.toThrow(
      /tensor "expanded" has 1000 elements but its storage only 1 \(an expanded or overlapping view\)/,
    );
  });

  it('reports a truncated file', async () => {
    const truncated = join(work, 'truncated.bin');
    const bytes = await readFile(join(PICKLE, 'tensors.bin'));
    await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(TorchBinFile.open(truncated)).rejects.toThrow(ModelFileError);
  });
});

describe('sharded .bin checkpoints', () => {
  it('converts shards + index to safetensors shards + index that hold the same tensors', async () => {
    const src = join(work, 'sharded-src');
    const out = join(work, 'sharded-out');
    for (const f of [
      'pytorch_model.bin.index.json',
      'pytorch_model-00001-of-00002.bin',
      'pytorch_model-00002-of-00002.bin',
    ]) {
      await mkdir(src, { recursive: true });
      await copyFile(join(FIXTURES, 'sharded', f), join(src, f));
    }
    const index = await convertBinIndex(join(src, 'pytorch_model.bin.index.json'), out);
    expect(index).toBe(join(out, 'model.safetensors.index.json'));
    const written = JSON.parse(await readFile(index, 'utf8'));
    expect(written.weight_map).toEqual({
      'encoder.weight': 'model-00001-of-00002.safetensors',
      'encoder.bias': 'model-00001-of-00002.safetensors',
      'head.weight': 'model-00002-of-00002.safetensors',
    });
    const want = await expected(join(FIXTURES, 'sharded', 'expected.json'));
    const a = await readSafetensors(join(out, 'model-00001-of-00002.safetensors'));
    const b = await readSafetensors(join(out, 'model-00002-of-00002.safetensors'));
    for (const [name, w] of Object.entries(want)) {
      const t = a.get(name) ?? b.get(name)!;
      expect(t.shape).toEqual(w.shape);
      expect(Array.from(t.data)).toEqual(w.values);
    }
  });

  it('maps .bin names to the safetensors names the libraries use', () => {
    expect(safetensorsNameFor('diffusion_pytorch_model.bin')).toBe('diffusion_pytorch_model.safetensors');
    expect(safetensorsNameFor('diffusion_pytorch_model.fp16.bin')).toBe('diffusion_pytorch_model.fp16.safetensors');
    expect(safetensorsNameFor('pytorch_model.bin')).toBe('model.safetensors');
    expect(safetensorsNameFor('pytorch_model.fp16.bin')).toBe('model.fp16.safetensors');
    expect(safetensorsNameFor('pytorch_model-00002-of-00003.bin')).toBe('model-00002-of-00003.safetensors');
  });
});
