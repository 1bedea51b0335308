import { ModelFileError } from '../io/errors.js';
import type { SafetensorsDtype } from '../io/safetensors.js';
import {
  isRef,
  type PickleValue,
  restrictedUnpickle,
  type StorageRef,
  type TensorRef,
  TORCH_STORAGE_TYPES,
  UnsafePickleError,
} from './restricted-unpickler.js';
import { ZipArchive } from './zip-archive.js';

/** One tensor of a PyTorch `.bin` state dict: a strided view into a storage member of the zip. */
export interface TorchTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  stride: number[];
  /** Element offset into the storage. */
  storageOffset: number;
  /** The zip member holding the storage bytes. */
  storageMember: string;
  itemSize: number;
  /** Bytes of the tensor once laid out contiguously. */
  byteLength: number;
}

/**
 * A PyTorch state dict saved by `torch.save` (torch >= 1.6, the zip format), read without executing its pickle.
 * Only the pickle is read up front; each tensor's bytes are read on demand, so multi-GiB checkpoints stream.
 */
export class TorchBinFile {
  private cachedMember?: { name: string; bytes: Buffer };

  private constructor(
    readonly path: string,
    private readonly zip: ZipArchive,
    /** Tensors in the order the state dict lists them. */
    readonly tensors: ReadonlyMap<string, TorchTensorInfo>,
  ) {}

  /**
   * Opens a `.bin` file. Throws {@link ModelFileError} for legacy (pre-1.6) files, big-endian archives, pickles
   * that are not a flat `{name: tensor}` dict, tensors that reach outside their storage, and (wrapping
   * {@link UnsafePickleError}) any pickle content outside the restricted set.
   */
  static async open(path: string): Promise<TorchBinFile> {
    if (!(await ZipArchive.looksLikeZip(path))) {
      throw new ModelFileError(
        'not a zip-format PyTorch file: legacy torch < 1.6 checkpoints are not supported; re-save it with a current torch or use safetensors',
        path,
      );
    }
    const zip = await ZipArchive.open(path);
    try {
      const pickles = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
      if (pickles.length !== 1) {
        throw new ModelFileError(`expected one <archive>/data.pkl member, found ${pickles.length}`, path);
      }
      const prefix = pickles[0].slice(0, -'data.pkl'.length);
      const byteorder = zip.entries.has(`${prefix}byteorder`)
        ? (await zip.read(`${prefix}byteorder`)).toString('utf8')
        : 'little';
      if (byteorder.trim() !== 'little')
        throw new ModelFileError(`byte order "${byteorder.trim()}" is not supported`, path);

      const storages = new Map<string, StorageRef>();
      let root: PickleValue;
      try {
        root = restrictedUnpickle(await zip.read(pickles[0]), (pid) => storageFromPid(pid, storages));
      } catch (err) {
        if (err instanceof UnsafePickleError) throw new ModelFileError(`refused: ${err.message}`, path);
        throw err;
      }
      const tensors = new Map<string, TorchTensorInfo>();
      if (!(root instanceof Map)) throw new ModelFileError('the pickle is not a state dict (a dict of tensors)', path);
      for (const [name, value] of root) {
        if (typeof name !== 'string') throw new ModelFileError(`state dict key ${name} is not a string`, path);
        if (!isRef(value, 'tensor')) {
          throw new ModelFileError(
            `state dict entry "${name}" is not a tensor; only flat {name: tensor} dicts are supported`,
            path,
          );
        }
        tensors.set(name, describeTensor(path, zip, prefix, name, value));
      }
      return new TorchBinFile(path, zip, tensors);
    } catch (err) {
      await zip.close();
      throw err;
    }
  }

  /**
   * One tensor's bytes, laid out contiguously (row-major) in little-endian order: views with a storage offset or
   * non-contiguous strides (a transposed tensor, a slice of a shared storage) are gathered element by element.
   */
  async readBytes(name: string): Promise<Uint8Array> {
    const info = this.tensors.get(name);
    if (!info) throw new ModelFileError(`no tensor named "${name}"`, this.path);
    const storage = await this.member(info.storageMember);
    const { itemSize, shape, stride, storageOffset } = info;
    if (isContiguous(shape, stride)) {
      const start = storageOffset * itemSize;
      return storage.subarray(start, start + info.byteLength);
    }
    const out = new Uint8Array(info.byteLength);
    const count = info.byteLength / itemSize;
    const index = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < count; i++) {
      let element = storageOffset;
      for (let d = 0; d < shape.length; d++) element += index[d] * stride[d];
      out.set(storage.subarray(element * itemSize, (element + 1) * itemSize), i * itemSize);
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) break;
        index[d] = 0;
      }
    }
    return out;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    this.cachedMember = undefined;
    await this.zip.close();
  }

  /** Storage members are read whole (and CRC-checked); the last one is kept, since tied weights share one. */
  private async member(name: string): Promise<Buffer> {
    if (this.cachedMember?.name !== name) this.cachedMember = { name, bytes: await this.zip.read(name) };
    return this.cachedMember.bytes;
  }
}

function storageFromPid(pid: PickleValue, storages: Map<string, StorageRef>): StorageRef {
  if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
    throw new UnsafePickleError("persistent ids must be ('storage', type, key, location, numel) tuples");
  }
  const [, type, key, location, numel] = pid;
  if (!isRef(type, 'global')) {
    throw new UnsafePickleError('persistent id does not name a storage type');
  }
  if (type.module !== 'torch' || !Object.hasOwn(TORCH_STORAGE_TYPES, type.name)) {
    throw new UnsafePickleError(`${type.module}.${type.name} is not a tensor storage type`);
  }
  if (typeof key !== 'string' || !/^[A-Za-z0-9_]+$/.test(key))
    throw new UnsafePickleError(`bad storage key ${String(key)}`);
  if (typeof location !== 'string') throw new UnsafePickleError('storage location must be a string');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) {
    throw new UnsafePickleError('storage size must be a non-negative integer');
  }
  const existing = storages.get(key);
  if (existing) {
    if (existing.storageType !== type.name || existing.numel !== numel) {
      throw new UnsafePickleError(`storage "${key}" is described twice with different types or sizes`);
    }
    return existing;
  }
  const storage: StorageRef = { kind: 'storage', storageType: type.name, key, location, numel };
  storages.set(key, storage);
  return storage;
}

function describeTensor(path: string, zip: ZipArchive, prefix: string, name: string, t: TensorRef): TorchTensorInfo {
  const { dtype, itemSize } = TORCH_STORAGE_TYPES[t.storage.storageType];
  const storageMember = `${prefix}data/${t.storage.key}`;
  const entry = zip.entry(storageMember);
  if (entry.size !== t.storage.numel * itemSize) {
    throw new ModelFileError(
      `storage ${storageMember} holds ${entry.size} bytes but the pickle declares ${t.storage.numel} ${t.storage.storageType} elements`,
      path,
    );
  }
  const count = t.shape.reduce((a, d) => a * d, 1);
  // A view with more elements than its storage overlaps itself (an expanded, stride-0 tensor): state dicts never hold
  // one, and honouring it would let a small file demand an arbitrarily large allocation.
  if (count > t.storage.numel) {
    throw new ModelFileError(
      `tensor "${name}" has ${count} elements but its storage only ${t.storage.numel} (an expanded or overlapping view)`,
      path,
    );
  }
  if (count > 0) {
    const last = t.storageOffset + t.shape.reduce((a, d, i) => a + (d - 1) * t.stride[i], 0);
    if (last >= t.storage.numel) {
      throw new ModelFileError(`tensor "${name}" reaches element ${last} of a storage of ${t.storage.numel}`, path);
    }
  }
  return {
    name,
    dtype: dtype as SafetensorsDtype,
    shape: t.shape,
    stride: t.stride,
    storageOffset: t.storageOffset,
    storageMember,
    itemSize,
    byteLength: count * itemSize,
  };
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}
