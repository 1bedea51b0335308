/**
 * Read-only lookups in a darts-clone double-array trie, the structure SentencePiece compiles its normalization rules
 * into (`precompiled_charsmap`). Keys are byte strings; each unit is a little-endian uint32 packing a label, a leaf
 * flag and the XOR offset to its children, so lookups walk the array without building anything.
 */
export class DartsDoubleArray {
  private constructor(private readonly units: Uint32Array) {}

  /** Wraps raw little-endian units; `bytes.length` must be a multiple of 4. */
  static fromBytes(bytes: Uint8Array): DartsDoubleArray {
    if (bytes.length % 4 !== 0 || bytes.length === 0) {
      throw new RangeError(`double-array size ${bytes.length} is not a positive multiple of 4 bytes`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const units = new Uint32Array(bytes.length / 4);
    for (let i = 0; i < units.length; i++) units[i] = view.getUint32(i * 4, true);
    return new DartsDoubleArray(units);
  }

  /**
   * Finds every key that is a prefix of `key[start..end)` and reports the longest one as `[value, length]`, or
   * `undefined` if none matches. (SentencePiece's normalizer only ever uses the longest match.)
   */
  longestPrefix(key: Uint8Array, start: number, end: number): [value: number, length: number] | undefined {
    const units = this.units;
    let best: [number, number] | undefined;
    let nodePos = offsetOf(units[0]);
    for (let i = start; i < end; i++) {
      const byte = key[i];
      nodePos ^= byte;
      if (nodePos >= units.length) return best;
      const unit = units[nodePos];
      // label() keeps bit 31 so that a non-leaf unit never equals a byte value.
      if ((unit & 0x800000ff) >>> 0 !== byte) return best;
      nodePos ^= offsetOf(unit);
      if ((unit >>> 8) & 1) {
        if (nodePos >= units.length) return best;
        best = [units[nodePos] & 0x7fffffff, i - start + 1];
      }
    }
    return best;
  }
}

/** `DoubleArrayUnit::offset()`: 21 bits, scaled by 256 when bit 9 is set. */
function offsetOf(unit: number): number {
  return ((unit >>> 10) << ((unit & (1 << 9)) >>> 6)) >>> 0;
}
