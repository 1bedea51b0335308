/**
 * PyTorch `.bin` -> safetensors throughput (the step `kandinsky weights pull` runs for repositories that only have
 * `.bin` weights): writes a full-size MoVQ state dict (431 real keys and shapes, ~271 MB) in torch.save's zip format,
 * then converts it with the restricted reader, reporting MB/s. The .bin is written by a minimal writer below (torch
 * is not available to benchmarks); the tests use real torch-written files.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { convertBinToSafetensors } from '../src/weights/bin-to-safetensors.js';
import { report } from './util.js';

interface Member {
  name: string;
  data: Uint8Array;
}

/** The pickle torch.save writes for an OrderedDict of contiguous float32 tensors (protocol 2). */
function statePickle(tensors: { key: string; shape: number[] }[]): Uint8Array {
  const out: number[] = [];
  const op = (...bytes: number[]) => out.push(...bytes);
  const text = (s: string) => out.push(...Buffer.from(s, 'latin1'));
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    op(0x58, ...u32(b.length), ...b);
  };
  const int = (n: number) => op(0x4a, ...u32(n));
  const tuple = (xs: number[]) => {
    op(0x28);
    for (const x of xs) int(x);
    op(0x74);
  };
  op(0x80, 2);
  text('ccollections\nOrderedDict\n');
  op(0x29, 0x52, 0x28); // () REDUCE MARK
  tensors.forEach(({ key, shape }, i) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    str(key);
    text('ctorch._utils\n_rebuild_tensor_v2\n');
    op(0x28, 0x28); // MARK (args) MARK (persistent id)
    str('storage');
    text('ctorch\nFloatStorage\n');
    str(String(i));
    str('cpu');
    int(numel);
    op(0x74, 0x51); // TUPLE BINPERSID
    int(0);
    tuple(shape);
    tuple(stride);
    op(0x89); // requires_grad False
    text('ccollections\nOrderedDict\n');
    op(0x29, 0x52, 0x74, 0x52); // () REDUCE (hooks) TUPLE REDUCE
  });
  op(0x75, 0x2e); // SETITEMS STOP
  return Uint8Array.from(out);
}

function u32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return [...b];
}

/** A stored (uncompressed) zip, as torch.save writes it (no zip64: keep members and offsets under 4 GiB). */
async function writeZip(path: string, members: Member[]): Promise<void> {
  const handle = await open(path, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const crc = crc32(m.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(m.data.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    await handle.write(Buffer.concat([local, name]));
    await handle.write(m.data);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(m.data.length, 20);
    entry.writeUInt32LE(m.data.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(Buffer.concat([entry, name]));
    offset += 30 + name.length + m.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  await handle.write(Buffer.concat([cd, end]));
  await handle.close();
}

const fixtures = join(import.meta.dirname, '../test/fixtures/full-keys');
const dir = await mkdtemp(join(tmpdir(), 'bin-bench-'));
try {
  const tensors = readFileSync(join(fixtures, 'movq.txt'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [key, shapeText] = line.split('\t');
      return { key, shape: JSON.parse(shapeText) as number[] };
    });
  const members: Member[] = [{ name: 'archive/data.pkl', data: statePickle(tensors) }];
  let bytes = 0;
  tensors.forEach(({ shape }, i) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let j = 0; j < data.length; j++) data[j] = Math.sin(j * 12.9898) * 0.02;
    members.push({ name: `archive/data/${i}`, data: new Uint8Array(data.buffer) });
    bytes += data.byteLength;
  });
  members.push({ name: 'archive/version', data: Buffer.from('3\n') });
  const bin = join(dir, 'diffusion_pytorch_model.bin');
  await writeZip(bin, members);

  const out = join(dir, 'diffusion_pytorch_model.safetensors');
  const start = performance.now();
  const keys = await convertBinToSafetensors(bin, out);
  const seconds = (performance.now() - start) / 1000;
  if (keys.length !== tensors.length) throw new Error(`converted ${keys.length} of ${tensors.length} tensors`);
  const hashStart = performance.now();
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(out)) hash.update(chunk as Buffer);
  const hashSeconds = (performance.now() - hashStart) / 1000;
  report({
    name: 'bin_to_safetensors_throughput',
    checkpoint: 'movq full-size (431 tensors), torch zip format',
    megabytes: Number((bytes / 1e6).toFixed(1)),
    seconds: Number(seconds.toFixed(3)),
    mb_per_s: Number((bytes / 1e6 / seconds).toFixed(1)),
  });
  // Every downloaded file is hashed once to verify it against the hub; this is that cost on the same bytes.
  report({
    name: 'download_verification_sha256',
    megabytes: Number((bytes / 1e6).toFixed(1)),
    seconds: Number(hashSeconds.toFixed(3)),
    mb_per_s: Number((bytes / 1e6 / hashSeconds).toFixed(1)),
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
