import { describe, expect, it } from 'vitest';
import {
  bytesToUtf8,
  fixed32ToFloat,
  ProtobufDecodeError,
  readProtobufFields,
  varintToInt32,
  WireType,
} from './protobuf-reader.js';

describe('readProtobufFields', () => {
  it('reads each wire type (bytes written by hand from the protobuf encoding spec)', () => {
    const message = new Uint8Array([
      // field 1, varint 150 (the spec's example: 08 96 01)
      0x08, 0x96, 0x01,
      // field 2, length-delimited "hi"
      0x12, 0x02, 0x68, 0x69,
      // field 3, fixed32 1.5f (0x3fc00000 little-endian)
      0x1d, 0x00, 0x00, 0xc0, 0x3f,
      // field 4, fixed64 (8 bytes)
      0x21, 1, 2, 3, 4, 5, 6, 7, 8,
      // field 300 (key = 300 << 3 | 0 = 2400 = 0xe0 0x12), varint -1 as int32 (ten bytes)
      0xe0, 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    const fields = [...readProtobufFields(message)];
    expect(fields.map((f) => [f.number, f.wireType])).toEqual([
      [1, WireType.Varint],
      [2, WireType.LengthDelimited],
      [3, WireType.Fixed32],
      [4, WireType.Fixed64],
      [300, WireType.Varint],
    ]);
    expect(fields[0].wireType === WireType.Varint && fields[0].value).toBe(150n);
    expect(fields[1].wireType === WireType.LengthDelimited && bytesToUtf8(fields[1].bytes)).toBe('hi');
    expect(fields[2].wireType === WireType.Fixed32 && fixed32ToFloat(fields[2].bytes)).toBe(1.5);
    expect(fields[3].wireType === WireType.Fixed64 && Array.from(fields[3].bytes)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(fields[4].wireType === WireType.Varint && varintToInt32(fields[4].value)).toBe(-1);
  });

  it('rejects truncated or malformed data', () => {
    const cases: [number[], RegExp][] = [
      [[0x08, 0x96], /truncated varint/],
      [[0x12, 0x05, 0x68], /exceeds the message size/],
      [[0x12, 0x02, 0x68], /runs past the end/],
      [[0x1d, 0x00, 0x00], /runs past the end/],
      [[0x0b], /unsupported wire type 3/],
      [[0x00, 0x01], /field number 0/],
      [[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /longer than 10 bytes/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => [...readProtobufFields(new Uint8Array(bytes))]).toThrow(ProtobufDecodeError);
      expect(() => [...readProtobufFields(new Uint8Array(bytes))]).toThrow(message);
    }
    expect(() => bytesToUtf8(new Uint8Array([0xff]))).toThrow(/not valid UTF-8/);
  });
});
