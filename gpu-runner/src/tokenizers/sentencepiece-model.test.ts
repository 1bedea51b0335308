import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../io/errors.js';
import { SHIPPED_FIXTURES } from '../verify/fixture-root.js';
import { PieceType, parseSentencePieceModel } from './sentencepiece-model.js';
import { createXlmRobertaTokenizer } from './xlm-roberta-tokenizer.js';

// The shipped tiny tokenizer files (the unit tests' own expectations were made for them, so they do not follow
// KANDINSKY_FIXTURES; the harness parity cases in clip-/xlm-roberta-tokenizer.test.ts do).
const FIXTURES = join(SHIPPED_FIXTURES, 'kandinsky21-tiny', 'tokenizers');

/** Protobuf encoding helpers, to build small ModelProto messages for the error paths. */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
function lengthDelimited(field: number, bytes: number[]): number[] {
  return [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
}
function varintField(field: number, value: number): number[] {
  return [...varint(field << 3), ...varint(value)];
}
function piece(text: string, score: number, type: number): number[] {
  const scoreBytes = new Uint8Array(new Float32Array([score]).buffer);
  return [
    ...lengthDelimited(1, [...new TextEncoder().encode(text)]),
    ...[(2 << 3) | 5, ...scoreBytes],
    ...varintField(3, type),
  ];
}
function modelProto(pieces: number[][], trainerSpec: number[] = []): Uint8Array {
  return new Uint8Array([...pieces.flatMap((p) => lengthDelimited(1, p)), ...lengthDelimited(2, trainerSpec)]);
}
const XLMR_LAYOUT = [piece('<unk>', 0, 2), piece('<s>', 0, 3), piece('</s>', 0, 3)];

describe('parseSentencePieceModel', () => {
  it('reads the tiny XLM-R model: pieces, unigram type and the nmt_nfkc normalizer', () => {
    const model = parseSentencePieceModel(
      new Uint8Array(readFileSync(join(FIXTURES, 'xlmr_tiny/sentencepiece.bpe.model'))),
    );
    // 182 fairseq ids = 180 SentencePiece pieces + <pad> + <mask> (cases.json xlmr_special.vocab_size).
    expect(model.pieces).toHaveLength(180);
    expect(model.pieces.slice(0, 3)).toEqual([
      { piece: '<unk>', score: 0, type: PieceType.Unknown },
      { piece: '<s>', score: 0, type: PieceType.Control },
      { piece: '</s>', score: 0, type: PieceType.Control },
    ]);
    expect(model.trainerSpec).toEqual({ modelType: 'unigram', treatWhitespaceAsSuffix: false, byteFallback: false });
    expect(model.normalizerSpec.name).toBe('nmt_nfkc');
    expect(model.normalizerSpec.precompiledCharsmap.length).toBeGreaterThan(1000);
    expect(model.normalizerSpec.addDummyPrefix && model.normalizerSpec.removeExtraWhitespaces).toBe(true);
  });

  it('applies proto2 defaults to absent fields', () => {
    const model = parseSentencePieceModel(modelProto([lengthDelimited(1, [...new TextEncoder().encode('x')])]));
    expect(model.pieces).toEqual([{ piece: 'x', score: 0, type: PieceType.Normal }]);
    expect(model.normalizerSpec).toMatchObject({ addDummyPrefix: true, escapeWhitespaces: true, name: '' });
  });

  it('rejects models without pieces or with an unknown piece type', () => {
    expect(() => parseSentencePieceModel(new Uint8Array(0))).toThrow(/no pieces/);
    expect(() => parseSentencePieceModel(modelProto([piece('x', 0, 9)]))).toThrow(/unknown type 9/);
  });
});

describe('createXlmRobertaTokenizer refuses models it cannot reproduce', () => {
  it.each([
    ['BPE models', modelProto([...XLMR_LAYOUT, piece('a', -1, 1)], varintField(3, 2)), /model type is bpe/],
    ['byte-fallback models', modelProto([...XLMR_LAYOUT, piece('a', -1, 1)], varintField(35, 1)), /byte_fallback/],
    ['other special-token layouts', modelProto([piece('<s>', 0, 3), piece('<unk>', 0, 2)]), /needs <unk>, <s>, <\/s>/],
    ['duplicate pieces', modelProto([...XLMR_LAYOUT, piece('a', -1, 1), piece('a', -2, 1)]), /defined twice/],
  ])('%s', (_name, bytes, message) => {
    expect(() => createXlmRobertaTokenizer(bytes, {}, 'test.model')).toThrow(ModelFileError);
    expect(() => createXlmRobertaTokenizer(bytes, {}, 'test.model')).toThrow(message);
  });
});
