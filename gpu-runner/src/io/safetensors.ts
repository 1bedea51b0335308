import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import { ModelFileError } from './errors.js';
import { decodeBFloat16, decodeFloat16 } from './half.js';

/** The safetensors dtypes this reader understands. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Where one tensor lives in a safetensors file. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offsets in the file: [begin, end). */
  begin: number;
  end: number;
}

/** A tensor read from a checkpoint: floats come back as float32, integers as int32 (range-checked). */
export interface HostTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** The header limit: real headers are a few hundred KiB; anything near this is a corrupt length field. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * One safetensors file opened for random access. Only the header is read up front; each tensor is read from its
 * byte range on demand, so multi-GiB checkpoints are never held in memory whole.
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /**
   * Opens and validates a safetensors file: header length, JSON, dtypes, shapes, and that every tensor's byte range
   * matches its shape and lies inside the file without overlapping another. Throws {@link ModelFileError}.
   */
  static async open(path: string): Promise<SafetensorsFile> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      throw new ModelFileError(`cannot read safetensors file (${(err as NodeJS.ErrnoException).code ?? err})`, path);
    }
    if (size < 8)
      throw new ModelFileError(`not a safetensors file: ${size} bytes, shorter than the 8-byte header length`, path);
    const handle = await open(path, 'r');
    try {
      const lenBuf = Buffer.alloc(8);
      await handle.read(lenBuf, 0, 8, 0);
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
        throw new ModelFileError(
          `corrupt or truncated safetensors file: header length ${headerLen} does not fit a file of ${size} bytes`,
          path,
        );
      }
      const headerBuf = Buffer.alloc(headerLen);
      await handle.read(headerBuf, 0, headerLen, 8);
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(headerBuf.toString('utf8'));
      } catch {
        throw new ModelFileError('corrupt safetensors file: the header is not valid JSON', path);
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) {
        throw new ModelFileError('corrupt safetensors file: the header is not a JSON object', path);
      }
      const dataStart = 8 + headerLen;
      const tensors = new Map<string, TensorInfo>();
      let metadata: Record<string, string> = {};
      for (const [name, raw] of Object.entries(header)) {
        if (name === '__metadata__') {
          metadata = (raw ?? {}) as Record<string, string>;
          continue;
        }
        tensors.set(name, parseEntry(path, name, raw, dataStart));
      }
      checkRanges(path, [...tensors.values()], dataStart, size);
      return new SafetensorsFile(path, handle, tensors, metadata);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Reads one tensor's raw bytes. */
  async readBytes(name: string): Promise<Uint8Array> {
    const info = this.tensors.get(name);
    if (!info) throw new ModelFileError(`no tensor named "${name}"`, this.path);
    const buf = new Uint8Array(info.end - info.begin);
    const { bytesRead } = await this.handle.read(buf, 0, buf.byteLength, info.begin);
    if (bytesRead !== buf.byteLength) throw new ModelFileError(`truncated while reading "${name}"`, this.path);
    return buf;
  }

  /** Reads one tensor and decodes it to float32 (floating dtypes) or int32 (integer dtypes). */
  async read(name: string): Promise<HostTensor> {
    const info = this.tensors.get(name)!;
    const bytes = await this.readBytes(name);
    return { shape: info.shape, ...decode(this.path, info, bytes) };
  }

  /** Closes the file handle. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

function parseEntry(path: string, name: string, raw: unknown, dataStart: number): TensorInfo {
  const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof entry !== 'object' || entry === null) throw new ModelFileError(`corrupt header entry for "${name}"`, path);
  const dtype = entry.dtype as SafetensorsDtype;
  if (typeof dtype !== 'string' || !(dtype in BYTES_PER_ELEMENT)) {
    throw new ModelFileError(`tensor "${name}" has unsupported dtype ${JSON.stringify(entry.dtype)}`, path);
  }
  const shape = entry.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ModelFileError(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`, path);
  }
  const offsets = entry.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    throw new ModelFileError(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`, path);
  }
  const [b, e] = offsets as [number, number];
  const expected = shape.reduce((a: number, d: number) => a * d, 1) * BYTES_PER_ELEMENT[dtype];
  if (e - b !== expected) {
    throw new ModelFileError(
      `tensor "${name}" (${dtype} ${JSON.stringify(shape)}) should take ${expected} bytes but its data_offsets span ${e - b}`,
      path,
    );
  }
  return { name, dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e };
}

function checkRanges(path: string, infos: TensorInfo[], dataStart: number, size: number): void {
  const sorted = [...infos].sort((a, b) => a.begin - b.begin);
  let cursor = dataStart;
  for (const info of sorted) {
    if (info.begin < cursor)
      throw new ModelFileError(`corrupt safetensors file: tensor "${info.name}" overlaps another`, path);
    if (info.end > size) {
      throw new ModelFileError(
        `truncated safetensors file: tensor "${info.name}" ends at byte ${info.end} but the file has ${size} bytes`,
        path,
      );
    }
    cursor = info.end;
  }
}

function decode(path: string, info: TensorInfo, bytes: Uint8Array): Omit<HostTensor, 'shape'> {
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const buf = aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + aligned.byteLength);
  switch (info.dtype) {
    case 'F32':
      return { dtype: 'float32', data: new Float32Array(buf) };
    case 'F16':
      return { dtype: 'float32', data: decodeFloat16(aligned) };
    case 'BF16':
      return { dtype: 'float32', data: decodeBFloat16(aligned) };
    case 'F64':
      return { dtype: 'float32', data: Float32Array.from(new Float64Array(buf)) };
    case 'I64': {
      const src = new BigInt64Array(buf);
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (v > 2147483647n || v < -2147483648n) {
          throw new ModelFileError(`tensor "${info.name}" holds int64 value ${v} outside the int32 range`, path);
        }
        out[i] = Number(v);
      }
      return { dtype: 'int32', data: out };
    }
    case 'I32':
      return { dtype: 'int32', data: new Int32Array(buf) };
    case 'I16':
      return { dtype: 'int32', data: Int32Array.from(new Int16Array(buf)) };
    case 'I8':
      return { dtype: 'int32', data: Int32Array.from(new Int8Array(buf)) };
    case 'U8':
    case 'BOOL':
      return { dtype: 'int32', data: Int32Array.from(new Uint8Array(buf)) };
  }
}

/** Reads every tensor of a (small) safetensors file into memory: for fixtures and tests, not for checkpoints. */
export async function readSafetensors(path: string): Promise<Map<string, HostTensor>> {
  const file = await SafetensorsFile.open(path);
  try {
    const out = new Map<string, HostTensor>();
    for (const name of file.tensors.keys()) out.set(name, await file.read(name));
    return out;
  } finally {
    await file.close();
  }
}
