// Over 400 lines on purpose: the pickle opcode machine and the few torch rebuild calls it allows are one whitelist.
/**
 * A restricted reader for the pickles inside PyTorch `.bin` files (`archive/data.pkl`).
 *
 * Python's pickle is a small stack machine whose GLOBAL/REDUCE opcodes import and call arbitrary functions, so loading
 * an untrusted checkpoint with `pickle.load` runs whatever the author wants. This reader never imports or calls
 * anything: it interprets only the opcodes a state dict needs, and a GLOBAL resolves only against a short allow-list
 * of names that it re-implements in TypeScript (building plain data). Every other opcode or global is refused with
 * {@link UnsafePickleError}, before anything further is read.
 */

/** A storage named by a persistent id: `('storage', torch.FloatStorage, '<key>', '<location>', numel)`. */
export interface StorageRef {
  kind: 'storage';
  /** The `torch.*Storage` class name, e.g. `FloatStorage`. */
  storageType: string;
  /** The zip member `data/<key>` that holds the bytes. */
  key: string;
  location: string;
  numel: number;
}

/** A tensor rebuilt by `torch._utils._rebuild_tensor_v2`: a strided view into a storage. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  /** In elements, not bytes. */
  storageOffset: number;
  shape: number[];
  stride: number[];
}

/** A Python value as this reader represents it. Tuples and lists are arrays; dicts are Maps. */
export type PickleValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | PickleValue[]
  | PickleDict
  | StorageRef
  | TensorRef
  | AllowedGlobal;

/** A Python dict (or OrderedDict). */
export type PickleDict = Map<string | number, PickleValue>;

/** A name from the allow-list, pushed by GLOBAL and only usable as a REDUCE callable or a storage type. */
export interface AllowedGlobal {
  kind: 'global';
  module: string;
  name: string;
}

/** Raised for anything the restricted reader will not interpret. Nothing in the pickle has been executed. */
export class UnsafePickleError extends Error {
  override readonly name = 'UnsafePickleError';
}

/** Storage classes `torch.save` names in persistent ids, with their safetensors dtype and element size. */
export const TORCH_STORAGE_TYPES: Readonly<Record<string, { dtype: string; itemSize: number }>> = {
  FloatStorage: { dtype: 'F32', itemSize: 4 },
  HalfStorage: { dtype: 'F16', itemSize: 2 },
  BFloat16Storage: { dtype: 'BF16', itemSize: 2 },
  DoubleStorage: { dtype: 'F64', itemSize: 8 },
  LongStorage: { dtype: 'I64', itemSize: 8 },
  IntStorage: { dtype: 'I32', itemSize: 4 },
  ShortStorage: { dtype: 'I16', itemSize: 2 },
  CharStorage: { dtype: 'I8', itemSize: 1 },
  ByteStorage: { dtype: 'U8', itemSize: 1 },
  BoolStorage: { dtype: 'BOOL', itemSize: 1 },
};

type Callable = (args: PickleValue[]) => PickleValue;

/** The functions a state dict is built from, re-implemented as pure data constructors. */
const CALLABLES: Readonly<Record<string, Callable>> = {
  'collections.OrderedDict': (args) => {
    if (args.length !== 0) throw new UnsafePickleError('collections.OrderedDict is only allowed with no arguments');
    return new Map();
  },
  'torch._utils._rebuild_tensor_v2': (args) => rebuildTensor(args, '_rebuild_tensor_v2'),
  'torch._utils._rebuild_tensor': (args) => rebuildTensor(args, '_rebuild_tensor'),
  // nn.Parameter(data, requires_grad, backward_hooks): the data tensor is all a state dict needs.
  'torch._utils._rebuild_parameter': (args) => {
    const data = args[0];
    if (!isTensor(data)) throw new UnsafePickleError('_rebuild_parameter expects a tensor as its first argument');
    return data;
  },
};

/** Narrows a value to one of the reference kinds this reader creates (storage, tensor, allow-listed global). */
export function isRef<K extends 'storage' | 'tensor' | 'global'>(
  v: PickleValue | undefined,
  kind: K,
): v is Extract<StorageRef | TensorRef | AllowedGlobal, { kind: K }> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Map) &&
    !(v instanceof Uint8Array) &&
    v.kind === kind
  );
}

const isTensor = (v: PickleValue | undefined): v is TensorRef => isRef(v, 'tensor');
const isStorage = (v: PickleValue | undefined): v is StorageRef => isRef(v, 'storage');

function intTuple(v: PickleValue | undefined, what: string): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new UnsafePickleError(`tensor ${what} must be a tuple of non-negative integers, got ${describe(v)}`);
  }
  return v as number[];
}

function rebuildTensor(args: PickleValue[], fn: string): TensorRef {
  // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
  const [storage, offset, size, stride] = args;
  if (!isStorage(storage)) throw new UnsafePickleError(`${fn} expects a storage as its first argument`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new UnsafePickleError(`${fn}: invalid storage offset ${describe(offset)}`);
  }
  const shape = intTuple(size, 'size');
  const strides = intTuple(stride, 'stride');
  if (shape.length !== strides.length) throw new UnsafePickleError(`${fn}: size and stride have different lengths`);
  return { kind: 'tensor', storage, storageOffset: offset, shape: [...shape], stride: [...strides] };
}

function describe(v: PickleValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v instanceof Map) return 'a dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return `a tuple of ${v.length}`;
  if (isRef(v, 'global')) return `${v.module}.${v.name}`;
  if (typeof v === 'object' && v !== null) return `a ${v.kind}`;
  return JSON.stringify(v);
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** Opcode names, for error messages about opcodes this reader refuses. */
const OPCODE_NAMES: Record<number, string> = {
  105: 'INST',
  111: 'OBJ',
  129: 'NEWOBJ',
  146: 'NEWOBJ_EX',
  80: 'PERSID',
  130: 'EXT1',
  131: 'EXT2',
  132: 'EXT4',
  82: 'REDUCE',
  99: 'GLOBAL',
  147: 'STACK_GLOBAL',
  83: 'STRING',
  84: 'BINSTRING',
  85: 'SHORT_BINSTRING',
  86: 'UNICODE',
  73: 'INT',
  76: 'LONG',
  70: 'FLOAT',
  139: 'LONG4',
  144: 'ADDITEMS',
  143: 'EMPTY_SET',
  145: 'FROZENSET',
  150: 'BYTEARRAY8',
  151: 'NEXT_BUFFER',
  152: 'READONLY_BUFFER',
};

/**
 * Interprets a pickle (protocols 2-5) with the restricted opcode and global set described above.
 *
 * @param resolvePersistentId turns the tuple of a BINPERSID into a value (PyTorch: a storage reference).
 */
export function restrictedUnpickle(
  bytes: Uint8Array,
  resolvePersistentId: (pid: PickleValue) => PickleValue,
): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;

  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new UnsafePickleError(`truncated pickle at byte ${pos}`);
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnsafePickleError(`length ${v} at byte ${pos - 8} is too large`);
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new UnsafePickleError(`unterminated line at byte ${pos}`);
    const text = decoder.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new UnsafePickleError(`stack underflow at byte ${pos}`);
    return v;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new UnsafePickleError(`stack underflow at byte ${pos}`);
    return v;
  };
  const popToMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new UnsafePickleError(`no MARK on the stack at byte ${pos}`);
    const items = stack.splice(at) as PickleValue[];
    items.shift();
    return items;
  };
  const memoGet = (i: number): PickleValue => {
    if (!memo.has(i)) throw new UnsafePickleError(`memo slot ${i} read before it was written`);
    return memo.get(i)!;
  };
  const dictKey = (k: PickleValue): string | number => {
    if (typeof k === 'string' || typeof k === 'number') return k;
    throw new UnsafePickleError(`dict keys must be strings or integers, got ${describe(k)}`);
  };
  const setItems = (dict: PickleValue, pairs: PickleValue[]): void => {
    if (!(dict instanceof Map)) throw new UnsafePickleError(`SETITEM(S) on ${describe(dict)}, not a dict`);
    if (pairs.length % 2) throw new UnsafePickleError('SETITEMS with an odd number of items');
    for (let i = 0; i < pairs.length; i += 2) dict.set(dictKey(pairs[i]), pairs[i + 1]);
  };
  const global = (module: string, name: string): AllowedGlobal => {
    const qualified = `${module}.${name}`;
    const storage = module === 'torch' && Object.hasOwn(TORCH_STORAGE_TYPES, name);
    if (!storage && !Object.hasOwn(CALLABLES, qualified)) {
      throw new UnsafePickleError(
        `the pickle references ${qualified}, which a PyTorch state dict never needs; refusing to load it (nothing was executed)`,
      );
    }
    return { kind: 'global', module, name };
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new UnsafePickleError('unsupported pickle protocol (> 5)');
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw new UnsafePickleError(`pickle ended with ${stack.length} items on the stack`);
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popToMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popToMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) throw new UnsafePickleError(`APPEND to ${describe(list)}`);
        list.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popToMark();
        const list = top();
        if (!Array.isArray(list)) throw new UnsafePickleError(`APPENDS to ${describe(list)}`);
        list.push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const dict: PickleDict = new Map();
        setItems(dict, popToMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popToMark();
        setItems(top(), items);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: {
        // BININT
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      }
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = u8();
        const raw = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
        if (n > 0 && raw[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new UnsafePickleError(`integer ${v} at byte ${at} is outside the safe range`);
        }
        stack.push(Number(v));
        break;
      }
      case 0x47: {
        // BINFLOAT: big-endian float64
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(decoder.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(decoder.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(decoder.decode(take(u64())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x30: // POP
        if (stack.pop() === undefined) throw new UnsafePickleError(`stack underflow at byte ${at}`);
        break;
      case 0x31: // POP_MARK
        popToMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw new UnsafePickleError('STACK_GLOBAL needs two strings');
        }
        stack.push(global(module, name));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(resolvePersistentId(pop()));
        break;
      case 0x52: {
        // REDUCE: call an allow-listed global with a tuple of arguments
        const args = pop();
        const fn = pop();
        if (!isRef(fn, 'global')) {
          throw new UnsafePickleError(`REDUCE at byte ${at} calls ${describe(fn)}, which is not callable`);
        }
        const callable = CALLABLES[`${fn.module}.${fn.name}`];
        if (!callable) throw new UnsafePickleError(`${fn.module}.${fn.name} cannot be called`);
        if (!Array.isArray(args))
          throw new UnsafePickleError(`REDUCE at byte ${at} has ${describe(args)} as arguments`);
        stack.push(callable(args));
        break;
      }
      case 0x62: {
        // BUILD: only the `_metadata` attribute torch state dicts carry (module versions), which is ignored.
        const state = pop();
        const target = top();
        if (!(target instanceof Map) || !(state instanceof Map) || [...state.keys()].some((k) => k !== '_metadata')) {
          throw new UnsafePickleError(
            `BUILD at byte ${at} sets state on ${describe(target)}; only a state dict's _metadata is allowed`,
          );
        }
        break;
      }
      default: {
        const name = OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;
        throw new UnsafePickleError(`pickle opcode ${name} at byte ${at} is not allowed in a PyTorch state dict`);
      }
    }
  }
}
