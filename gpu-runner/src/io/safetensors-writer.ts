import { open } from 'node:fs/promises';
import { floatToHalf } from './half.js';

/** A tensor to write: float data may be stored as F32 or F16, integer data as I64 or I32. */
export interface TensorToWrite {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype?: 'F32' | 'F16' | 'I64' | 'I32';
}

/**
 * Writes a safetensors file, streaming tensor by tensor. Used by tests (to make checkpoints, including broken ones)
 * and by the benchmark that measures converter throughput on a large generated checkpoint.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    const dtype = t.dtype ?? (t.data instanceof Float32Array ? 'F32' : 'I64');
    const bytes = t.data.length * (dtype === 'F16' ? 2 : dtype === 'I64' ? 8 : 4);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep tensor data 8-byte aligned, as the reference writer does
  const headerBytes = Buffer.from(json, 'utf8');
  const handle = await open(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    await handle.write(len);
    await handle.write(headerBytes);
    for (const [, t] of entries) await handle.write(encode(t));
  } finally {
    await handle.close();
  }
}

function encode(t: TensorToWrite): Uint8Array {
  const dtype = t.dtype ?? (t.data instanceof Float32Array ? 'F32' : 'I64');
  if (dtype === 'F32') return new Uint8Array(Float32Array.from(t.data).buffer);
  if (dtype === 'I32') return new Uint8Array(Int32Array.from(t.data).buffer);
  if (dtype === 'F16') {
    const out = new Uint16Array(t.data.length);
    for (let i = 0; i < out.length; i++) out[i] = floatToHalf(t.data[i]);
    return new Uint8Array(out.buffer);
  }
  const out = new BigInt64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = BigInt(Math.trunc(t.data[i]));
  return new Uint8Array(out.buffer);
}
