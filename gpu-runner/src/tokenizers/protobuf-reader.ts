/**
 * A minimal reader for the protobuf wire format: just enough to walk the fields of a SentencePiece `ModelProto`
 * without a protobuf runtime or generated code. It knows nothing about schemas; callers pick the fields they need by
 * number and skip the rest, which is how protobuf stays forward compatible.
 */

/** The protobuf wire types (the low 3 bits of a field key). Groups (3, 4) are obsolete and rejected. */
export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  Fixed32: 5,
} as const;

/** One field as it appears on the wire. */
export type ProtobufField =
  | { number: number; wireType: typeof WireType.Varint; value: bigint }
  | { number: number; wireType: typeof WireType.Fixed64; bytes: Uint8Array }
  | { number: number; wireType: typeof WireType.LengthDelimited; bytes: Uint8Array }
  | { number: number; wireType: typeof WireType.Fixed32; bytes: Uint8Array };

/** Thrown for truncated or malformed protobuf data; the caller adds which file it was. */
export class ProtobufDecodeError extends Error {
  override readonly name = 'ProtobufDecodeError';
}

/**
 * Iterates the top-level fields of one protobuf message. Nested messages come back as `bytes` of a length-delimited
 * field; pass them to this function again.
 */
export function* readProtobufFields(message: Uint8Array): Generator<ProtobufField> {
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= message.length) throw new ProtobufDecodeError(`truncated varint at byte ${pos}`);
      if (shift > 63n) throw new ProtobufDecodeError(`varint longer than 10 bytes at byte ${pos}`);
      const byte = message[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const take = (length: number): Uint8Array => {
    if (length < 0 || pos + length > message.length) {
      throw new ProtobufDecodeError(`field of ${length} bytes at byte ${pos} runs past the end (${message.length})`);
    }
    const bytes = message.subarray(pos, pos + length);
    pos += length;
    return bytes;
  };

  while (pos < message.length) {
    const keyStart = pos;
    const key = readVarint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) throw new ProtobufDecodeError(`field number 0 at byte ${keyStart}`);
    switch (wireType) {
      case WireType.Varint:
        yield { number, wireType, value: readVarint() };
        break;
      case WireType.Fixed64:
        yield { number, wireType, bytes: take(8) };
        break;
      case WireType.LengthDelimited: {
        const length = readVarint();
        if (length > BigInt(message.length)) {
          throw new ProtobufDecodeError(`length ${length} at byte ${keyStart} exceeds the message size`);
        }
        yield { number, wireType, bytes: take(Number(length)) };
        break;
      }
      case WireType.Fixed32:
        yield { number, wireType, bytes: take(4) };
        break;
      default:
        throw new ProtobufDecodeError(`unsupported wire type ${wireType} for field ${number} at byte ${keyStart}`);
    }
  }
}

/** Reads a little-endian IEEE float32 from a fixed32 field. */
export function fixed32ToFloat(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true);
}

/** Interprets a varint as a signed 32-bit protobuf `int32`/enum (negative values are sign-extended to 64 bits). */
export function varintToInt32(value: bigint): number {
  return Number(BigInt.asIntN(32, value));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a `string` field (protobuf strings must be valid UTF-8). */
export function bytesToUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ProtobufDecodeError('string field is not valid UTF-8');
  }
}
