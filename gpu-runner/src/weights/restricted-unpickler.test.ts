import { describe, expect, it } from 'vitest';
import { type PickleValue, restrictedUnpickle, UnsafePickleError } from './restricted-unpickler.js';

/** Builds pickle bytes from opcodes written as strings (latin-1) and byte arrays. */
function pickle(...parts: (string | number[])[]): Uint8Array {
  const bytes: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (const ch of p) bytes.push(ch.charCodeAt(0));
    else bytes.push(...p);
  }
  return Uint8Array.from(bytes);
}

const noPersistentIds = (): PickleValue => {
  throw new UnsafePickleError('no persistent ids expected');
};

function unpickle(bytes: Uint8Array): PickleValue {
  return restrictedUnpickle(bytes, noPersistentIds);
}

describe('restrictedUnpickle', () => {
  it('builds plain data: dicts, tuples, lists, ints (incl. LONG1), floats, strings, bools, None', () => {
    const bytes = pickle(
      [0x80, 2],
      '}', // EMPTY_DICT
      '(', // MARK
      'X',
      [1, 0, 0, 0],
      'a', // 'a'
      'K',
      [7],
      'M',
      [0x10, 0x27],
      'J',
      [0xff, 0xff, 0xff, 0xff],
      [0x87], // (7, 10000, -1)
      'X',
      [1, 0, 0, 0],
      'b',
      ']',
      '(',
      [0x88],
      [0x89],
      'N',
      'e', // [True, False, None]
      'X',
      [1, 0, 0, 0],
      'c',
      [0x8a, 6],
      [0, 0, 0, 0, 0x80, 0],
      [0x8a, 5],
      [0, 0, 0, 0, 0x80],
      [0x86], // LONG1 2^39 and -2^39 (two's complement)
      'X',
      [1, 0, 0, 0],
      'd',
      'G',
      [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], // 1.5 big-endian
      'u', // SETITEMS
      '.',
    );
    const value = unpickle(bytes) as Map<string, PickleValue>;
    expect(value).toEqual(
      new Map<string, PickleValue>([
        ['a', [7, 10000, -1]],
        ['b', [true, false, null]],
        ['c', [2 ** 39, -(2 ** 39)]],
        ['d', 1.5],
      ]),
    );
  });

  it('resolves collections.OrderedDict() and memo references', () => {
    const bytes = pickle([0x80, 2], 'ccollections\nOrderedDict\n', 'q', [0], ')', 'R', 'h', [0], ')', 'R', [0x86], '.');
    expect(unpickle(bytes)).toEqual([new Map(), new Map()]);
  });

  it.each([
    ['GLOBAL os.system', pickle([0x80, 2], 'cos\nsystem\n', '.'), /os\.system, which a PyTorch state dict never needs/],
    ['GLOBAL builtins.getattr', pickle([0x80, 2], 'cbuiltins\ngetattr\n', '.'), /builtins\.getattr/],
    ['a torch function that is not a rebuild helper', pickle([0x80, 2], 'ctorch\nload\n', '.'), /torch\.load/],
    ['INST', pickle([0x80, 2], '(', 'ios\nsystem\n', '.'), /opcode INST at byte 3 is not allowed/],
    ['OBJ', pickle([0x80, 2], '(', 'o', '.'), /opcode OBJ/],
    ['NEWOBJ', pickle([0x80, 2], ')', ')', [0x81], '.'), /opcode NEWOBJ/],
    ['text PERSID', pickle([0x80, 2], 'P0\n', '.'), /opcode PERSID/],
    ['EXT1', pickle([0x80, 2], [0x82, 1], '.'), /opcode EXT1/],
    ['REDUCE on a plain value', pickle([0x80, 2], 'K', [1], ')', 'R', '.'), /calls 1, which is not callable/],
    [
      'REDUCE on a storage type',
      pickle([0x80, 2], 'ctorch\nFloatStorage\n', ')', 'R', '.'),
      /torch\.FloatStorage cannot be called/,
    ],
    [
      'BUILD on a dict with other state',
      pickle([0x80, 2], '}', '}', 'X', [1, 0, 0, 0], 'x', 'K', [1], 's', 'b', '.'),
      /only a state dict's _metadata/,
    ],
    [
      'OrderedDict with arguments',
      pickle([0x80, 2], 'ccollections\nOrderedDict\n', ']', [0x85], 'R', '.'),
      /only allowed with no arguments/,
    ],
    ['a memo slot read before written', pickle([0x80, 2], 'h', [3], '.'), /memo slot 3 read before it was written/],
    ['stack underflow', pickle([0x80, 2], [0x86], '.'), /stack underflow/],
    ['a truncated pickle', pickle([0x80, 2], 'X', [9, 0, 0, 0], 'ab'), /truncated pickle/],
    ['leftover stack items', pickle([0x80, 2], 'K', [1], 'K', [2], '.'), /ended with 2 items/],
    [
      'an unhashable dict key',
      pickle([0x80, 2], '}', ']', 'K', [1], 's', '.'),
      /dict keys must be strings or integers/,
    ],
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => unpickle(bytes)).toThrow(UnsafePickleError);
    expect(() => unpickle(bytes)).toThrow(message);
  });

  it('rebuilds a tensor reference only from a persistent-id storage', () => {
    const storage = { kind: 'storage', storageType: 'FloatStorage', key: '0', location: 'cpu', numel: 6 } as const;
    const bytes = pickle(
      [0x80, 2],
      'ctorch._utils\n_rebuild_tensor_v2\n',
      '(',
      '(',
      'X',
      [7, 0, 0, 0],
      'storage',
      'ctorch\nFloatStorage\n',
      'X',
      [1, 0, 0, 0],
      '0',
      'X',
      [3, 0, 0, 0],
      'cpu',
      'K',
      [6],
      't',
      'Q', // BINPERSID
      'K',
      [0],
      'K',
      [2],
      'K',
      [3],
      [0x86],
      'K',
      [3],
      'K',
      [1],
      [0x86],
      [0x89],
      ')',
      't',
      'R',
      '.',
    );
    const seen: PickleValue[] = [];
    const tensor = restrictedUnpickle(bytes, (pid) => {
      seen.push(pid);
      return storage;
    });
    expect(seen[0]).toEqual(['storage', { kind: 'global', module: 'torch', name: 'FloatStorage' }, '0', 'cpu', 6]);
    expect(tensor).toEqual({ kind: 'tensor', storage, storageOffset: 0, shape: [2, 3], stride: [3, 1] });
  });
});
