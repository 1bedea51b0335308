import { ModelFileError } from '../io/errors.js';
import { PieceType, type SentencePiece, type SentencePieceModel } from './sentencepiece-model.js';

/**
 * Reading the model data out of a Hugging Face `tokenizer.json` (the fast-tokenizer file), for checkpoints that ship
 * it instead of the slow tokenizer's files. Only the *data* is taken (vocabulary, merges, piece scores, the
 * SentencePiece charsmap); the text is still processed by this package's re-implementation of the slow tokenizers,
 * because that is what the reference outputs were made with — the fast pipeline described in the file differs from
 * them (e.g. CLIP's fast normalizer does not isolate CJK characters or drop format characters).
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses tokenizer.json text into its top-level object. */
export function parseTokenizerJson(text: string, path: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(`is not valid JSON: ${(error as Error).message}`, path);
  }
  if (!isObject(parsed) || !isObject(parsed.model)) {
    throw new ModelFileError('is not a tokenizer.json (no "model" object)', path);
  }
  return parsed;
}

/** Every component of a (possibly nested) `Sequence` normalizer or pre-tokenizer, depth first. */
function components(component: unknown): Json[] {
  if (!isObject(component)) return [];
  const children = component.normalizers ?? component.pretokenizers;
  if (component.type === 'Sequence' && Array.isArray(children)) return children.flatMap(components);
  return [component];
}

const XLMR_FAST_HEAD = ['<s>', '<pad>', '</s>', '<unk>'] as const;

/**
 * The SentencePiece model behind an XLM-R `tokenizer.json` (as transformers' `XLMRobertaConverter` writes it): a
 * Unigram model whose vocabulary is `<s> <pad> </s> <unk>`, the SentencePiece pieces from id 3 on, then `<mask>`,
 * plus the `Precompiled` normalizer's charsmap and the `Metaspace` prefix setting. Piece types other than normal are
 * not recorded in tokenizer.json; XLM-R has none.
 */
export function sentencePieceModelFromTokenizerJson(json: Json, path: string): SentencePieceModel {
  const fail = (message: string): never => {
    throw new ModelFileError(`is not an XLM-R Unigram tokenizer.json: ${message}`, path);
  };
  const model = json.model as Json;
  if (model.type !== 'Unigram') fail(`model type is ${String(model.type)}`);
  if (model.byte_fallback === true) fail('byte_fallback is not supported');
  const vocab = model.vocab;
  if (!Array.isArray(vocab) || vocab.length < XLMR_FAST_HEAD.length + 1) fail('model.vocab is missing or too short');
  const entries = (vocab as unknown[]).map((entry, id): [string, number] => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
      return fail(`model.vocab[${id}] is not a [piece, score] pair`);
    }
    return [entry[0], entry[1]];
  });
  XLMR_FAST_HEAD.forEach((token, id) => {
    if (entries[id][0] !== token) fail(`id ${id} is ${JSON.stringify(entries[id][0])}, expected ${token}`);
  });
  if (entries[entries.length - 1][0] !== '<mask>') fail('the last id is not <mask>');
  if (model.unk_id !== undefined && model.unk_id !== 3) fail(`unk_id is ${String(model.unk_id)}, expected 3`);

  const pieces: SentencePiece[] = [
    { piece: '<unk>', score: 0, type: PieceType.Unknown },
    { piece: '<s>', score: 0, type: PieceType.Control },
    { piece: '</s>', score: 0, type: PieceType.Control },
    // Scores are float32 in the .model file; the JSON holds their decimal expansion.
    ...entries.slice(4, -1).map(([piece, score]) => ({ piece, score: Math.fround(score), type: PieceType.Normal })),
  ];

  const precompiled = components(json.normalizer).find((c) => c.type === 'Precompiled');
  let charsmap = new Uint8Array(0);
  if (precompiled) {
    const encoded = precompiled.precompiled_charsmap;
    if (typeof encoded !== 'string') fail('the Precompiled normalizer has no precompiled_charsmap');
    charsmap = new Uint8Array(Buffer.from(encoded as string, 'base64'));
  }
  const metaspace = components(json.pre_tokenizer).find((c) => c.type === 'Metaspace');
  if (!metaspace) fail('no Metaspace pre-tokenizer');
  if (metaspace!.replacement !== undefined && metaspace!.replacement !== '\u2581') {
    fail(`Metaspace replacement ${JSON.stringify(metaspace!.replacement)} is not "\u2581"`);
  }
  const prependScheme = metaspace!.prepend_scheme;
  if (prependScheme === 'first') fail('prepend_scheme "first" (non-legacy) is not supported');
  const addDummyPrefix =
    prependScheme !== undefined ? prependScheme !== 'never' : metaspace!.add_prefix_space !== false;

  return {
    pieces,
    trainerSpec: { modelType: 'unigram', treatWhitespaceAsSuffix: false, byteFallback: false },
    normalizerSpec: {
      name: precompiled ? 'precompiled' : 'identity',
      precompiledCharsmap: charsmap,
      addDummyPrefix,
      removeExtraWhitespaces: true,
      escapeWhitespaces: true,
    },
  };
}

/**
 * The vocabulary and merges of a CLIP `tokenizer.json` (a BPE model with end-of-word suffix `</w>`). Merges may be
 * written as "a b" strings or as [a, b] pairs (newer tokenizers versions).
 */
export function clipBpeFromTokenizerJson(
  json: Json,
  path: string,
): { vocab: Map<string, number>; merges: ([string, string] | null)[] } {
  const fail = (message: string): never => {
    throw new ModelFileError(`is not a CLIP BPE tokenizer.json: ${message}`, path);
  };
  const model = json.model as Json;
  if (model.type !== 'BPE') fail(`model type is ${String(model.type)}`);
  if (model.end_of_word_suffix !== '</w>') fail(`end_of_word_suffix is ${JSON.stringify(model.end_of_word_suffix)}`);
  if (!isObject(model.vocab)) fail('model.vocab is not an object');
  if (!Array.isArray(model.merges)) fail('model.merges is not an array');

  const vocab = new Map<string, number>();
  const seen = new Set<number>();
  for (const [token, id] of Object.entries(model.vocab as Json)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || seen.has(id)) {
      fail(`token ${JSON.stringify(token)} has an invalid or duplicate id ${String(id)}`);
    }
    seen.add(id as number);
    vocab.set(token, id as number);
  }
  const merges = (model.merges as unknown[]).map((merge): [string, string] | null => {
    const parts = typeof merge === 'string' ? merge.split(' ') : merge;
    return Array.isArray(parts) && parts.length === 2 && parts.every((p) => typeof p === 'string')
      ? [parts[0] as string, parts[1] as string]
      : null;
  });
  return { vocab, merges };
}
