import {
  bytesToUtf8,
  fixed32ToFloat,
  ProtobufDecodeError,
  type ProtobufField,
  readProtobufFields,
  varintToInt32,
  WireType,
} from './protobuf-reader.js';

/** `ModelProto.SentencePiece.Type` from sentencepiece_model.proto. */
export const PieceType = {
  Normal: 1,
  Unknown: 2,
  Control: 3,
  UserDefined: 4,
  Unused: 5,
  Byte: 6,
} as const;
export type PieceType = (typeof PieceType)[keyof typeof PieceType];

/** One vocabulary entry; its id is its index in {@link SentencePieceModel.pieces}. */
export interface SentencePiece {
  piece: string;
  score: number;
  type: PieceType;
}

/** `TrainerSpec.ModelType`. */
export type SentencePieceModelType = 'unigram' | 'bpe' | 'word' | 'char';

/** The trainer settings that still matter when encoding. */
export interface SentencePieceTrainerSpec {
  modelType: SentencePieceModelType;
  /** Put the `▁` after words instead of before them. */
  treatWhitespaceAsSuffix: boolean;
  /** Unknown characters become UTF-8 byte pieces instead of `<unk>`. */
  byteFallback: boolean;
}

/** `NormalizerSpec`: how raw text becomes the string the model segments. */
export interface SentencePieceNormalizerSpec {
  name: string;
  /** Compiled normalization rules (a darts-clone double array + replacement strings); empty = no rules. */
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

/** The parts of a SentencePiece `.model` file (a serialized `ModelProto`) needed to encode text. */
export interface SentencePieceModel {
  pieces: SentencePiece[];
  trainerSpec: SentencePieceTrainerSpec;
  normalizerSpec: SentencePieceNormalizerSpec;
}

// Field numbers from sentencepiece_model.proto (v0.1.97).
const MODEL_PIECES = 1;
const MODEL_TRAINER_SPEC = 2;
const MODEL_NORMALIZER_SPEC = 3;
const PIECE_PIECE = 1;
const PIECE_SCORE = 2;
const PIECE_TYPE = 3;
const TRAINER_MODEL_TYPE = 3;
const TRAINER_TREAT_WHITESPACE_AS_SUFFIX = 24;
const TRAINER_BYTE_FALLBACK = 35;
const NORMALIZER_NAME = 1;
const NORMALIZER_PRECOMPILED_CHARSMAP = 2;
const NORMALIZER_ADD_DUMMY_PREFIX = 3;
const NORMALIZER_REMOVE_EXTRA_WHITESPACES = 4;
const NORMALIZER_ESCAPE_WHITESPACES = 5;

const MODEL_TYPES: Record<number, SentencePieceModelType> = { 1: 'unigram', 2: 'bpe', 3: 'word', 4: 'char' };

function expectWire<W extends ProtobufField['wireType']>(
  field: ProtobufField,
  wireType: W,
  what: string,
): Extract<ProtobufField, { wireType: W }> {
  if (field.wireType !== wireType) {
    throw new ProtobufDecodeError(
      `${what} (field ${field.number}) has wire type ${field.wireType}, expected ${wireType}`,
    );
  }
  return field as Extract<ProtobufField, { wireType: W }>;
}

function parsePiece(bytes: Uint8Array, index: number): SentencePiece {
  let piece: string | undefined;
  let score = 0;
  let type: PieceType = PieceType.Normal;
  for (const field of readProtobufFields(bytes)) {
    if (field.number === PIECE_PIECE) {
      piece = bytesToUtf8(expectWire(field, WireType.LengthDelimited, 'piece').bytes);
    } else if (field.number === PIECE_SCORE) {
      score = fixed32ToFloat(expectWire(field, WireType.Fixed32, 'score').bytes);
    } else if (field.number === PIECE_TYPE) {
      const value = varintToInt32(expectWire(field, WireType.Varint, 'type').value);
      if (value < PieceType.Normal || value > PieceType.Byte) {
        throw new ProtobufDecodeError(`piece ${index} has unknown type ${value}`);
      }
      type = value as PieceType;
    }
  }
  if (piece === undefined || piece === '') throw new ProtobufDecodeError(`piece ${index} has no text`);
  return { piece, score, type };
}

function parseBool(field: ProtobufField, what: string): boolean {
  return expectWire(field, WireType.Varint, what).value !== 0n;
}

function parseTrainerSpec(bytes: Uint8Array): SentencePieceTrainerSpec {
  const spec: SentencePieceTrainerSpec = { modelType: 'unigram', treatWhitespaceAsSuffix: false, byteFallback: false };
  for (const field of readProtobufFields(bytes)) {
    if (field.number === TRAINER_MODEL_TYPE) {
      const value = varintToInt32(expectWire(field, WireType.Varint, 'model_type').value);
      const modelType = MODEL_TYPES[value];
      if (!modelType) throw new ProtobufDecodeError(`unknown trainer_spec.model_type ${value}`);
      spec.modelType = modelType;
    } else if (field.number === TRAINER_TREAT_WHITESPACE_AS_SUFFIX) {
      spec.treatWhitespaceAsSuffix = parseBool(field, 'treat_whitespace_as_suffix');
    } else if (field.number === TRAINER_BYTE_FALLBACK) {
      spec.byteFallback = parseBool(field, 'byte_fallback');
    }
  }
  return spec;
}

function parseNormalizerSpec(bytes: Uint8Array | undefined): SentencePieceNormalizerSpec {
  // Proto2 defaults apply to absent fields (and to an absent spec).
  const spec: SentencePieceNormalizerSpec = {
    name: '',
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
  if (!bytes) return spec;
  for (const field of readProtobufFields(bytes)) {
    if (field.number === NORMALIZER_NAME) {
      spec.name = bytesToUtf8(expectWire(field, WireType.LengthDelimited, 'name').bytes);
    } else if (field.number === NORMALIZER_PRECOMPILED_CHARSMAP) {
      spec.precompiledCharsmap = expectWire(field, WireType.LengthDelimited, 'precompiled_charsmap').bytes;
    } else if (field.number === NORMALIZER_ADD_DUMMY_PREFIX) {
      spec.addDummyPrefix = parseBool(field, 'add_dummy_prefix');
    } else if (field.number === NORMALIZER_REMOVE_EXTRA_WHITESPACES) {
      spec.removeExtraWhitespaces = parseBool(field, 'remove_extra_whitespaces');
    } else if (field.number === NORMALIZER_ESCAPE_WHITESPACES) {
      spec.escapeWhitespaces = parseBool(field, 'escape_whitespaces');
    }
  }
  return spec;
}

/**
 * Parses a serialized SentencePiece `ModelProto` (the `.model` file). Throws {@link ProtobufDecodeError} for
 * malformed data. Fields the encoder does not need (training settings, self-test data, the denormalizer) are skipped.
 */
export function parseSentencePieceModel(bytes: Uint8Array): SentencePieceModel {
  const pieces: SentencePiece[] = [];
  let trainerSpec: SentencePieceTrainerSpec | undefined;
  let normalizerBytes: Uint8Array | undefined;
  for (const field of readProtobufFields(bytes)) {
    if (field.number === MODEL_PIECES) {
      pieces.push(parsePiece(expectWire(field, WireType.LengthDelimited, 'pieces').bytes, pieces.length));
    } else if (field.number === MODEL_TRAINER_SPEC) {
      trainerSpec = parseTrainerSpec(expectWire(field, WireType.LengthDelimited, 'trainer_spec').bytes);
    } else if (field.number === MODEL_NORMALIZER_SPEC) {
      normalizerBytes = expectWire(field, WireType.LengthDelimited, 'normalizer_spec').bytes;
    }
  }
  if (pieces.length === 0) throw new ProtobufDecodeError('the model has no pieces');
  return {
    pieces,
    trainerSpec: trainerSpec ?? { modelType: 'unigram', treatWhitespaceAsSuffix: false, byteFallback: false },
    normalizerSpec: parseNormalizerSpec(normalizerBytes),
  };
}
