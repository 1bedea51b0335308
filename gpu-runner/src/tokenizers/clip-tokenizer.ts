import { join } from 'node:path';
import { ModelFileError } from '../io/errors.js';
import { ClipBpeModel, type ClipSpecialTokens } from './clip-bpe-model.js';
import { PaddedPromptTokenizer } from './padded-prompt-tokenizer.js';
import { asUtf8, readOptionalFile } from './tokenizer-files.js';
import { clipBpeFromTokenizerJson, parseTokenizerJson } from './tokenizer-json.js';
import type { PromptTokenizer, TokenizerLoadOptions } from './types.js';

/** The CLIP text encoder's position count, `model_max_length` of every CLIP tokenizer config. */
const CLIP_DEFAULT_MAX_LENGTH = 77;

/** `CLIPTokenizer`'s defaults; `pad` is the end-of-text token ("hack to enable padding" in transformers). */
const DEFAULT_SPECIALS: ClipSpecialTokens = {
  bos: '<|startoftext|>',
  eos: '<|endoftext|>',
  unk: '<|endoftext|>',
  pad: '<|endoftext|>',
};

/**
 * Loads the CLIP tokenizer of the Kandinsky 2.1 prior from a tokenizer folder: `vocab.json` + `merges.txt` (or, when
 * they are absent, the same data from `tokenizer.json`), plus `tokenizer_config.json` / `special_tokens_map.json`
 * when present (for `model_max_length` and the special tokens, e.g. a pad token other than `<|endoftext|>`).
 * Rows are `<|startoftext|> … <|endoftext|> <pad>…`. Throws `ModelFileError` for missing or malformed files.
 */
export async function loadClipTokenizer(dir: string, options: TokenizerLoadOptions = {}): Promise<PromptTokenizer> {
  const { vocab, merges, source } = await readBpeData(dir);
  const config = {
    ...(await readOptionalJson(join(dir, 'special_tokens_map.json'))),
    ...(await readOptionalJson(join(dir, 'tokenizer_config.json'))),
  };
  const specials: ClipSpecialTokens = {
    bos: specialTokenString(config.bos_token) ?? DEFAULT_SPECIALS.bos,
    eos: specialTokenString(config.eos_token) ?? DEFAULT_SPECIALS.eos,
    unk: specialTokenString(config.unk_token) ?? DEFAULT_SPECIALS.unk,
    pad: specialTokenString(config.pad_token) ?? DEFAULT_SPECIALS.pad,
  };
  const configMaxLength = config.model_max_length;
  // Configs without a real limit store a huge sentinel (int(1e30)); only trust plausible values.
  const maxLength =
    options.maxLength ??
    (typeof configMaxLength === 'number' && Number.isInteger(configMaxLength) && configMaxLength <= 1_000_000
      ? configMaxLength
      : CLIP_DEFAULT_MAX_LENGTH);
  try {
    const model = new ClipBpeModel(vocab, merges, specials);
    return new PaddedPromptTokenizer(model, {
      bosId: model.requireId(specials.bos),
      eosId: model.requireId(specials.eos),
      padId: model.requireId(specials.pad),
      maxLength,
      maxPromptChars: options.maxPromptChars,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new ModelFileError(error.message, source);
    throw error;
  }
}

/** vocab.json + merges.txt, or tokenizer.json when neither exists. */
async function readBpeData(
  dir: string,
): Promise<{ vocab: Map<string, number>; merges: ([string, string] | null)[]; source: string }> {
  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  const [vocabFile, mergesFile] = await Promise.all([readOptionalFile(vocabPath), readOptionalFile(mergesPath)]);
  if (vocabFile && mergesFile) {
    return {
      vocab: parseVocab(asUtf8(vocabFile, vocabPath), vocabPath),
      merges: parseMerges(asUtf8(mergesFile, mergesPath)),
      source: vocabPath,
    };
  }
  const jsonPath = join(dir, 'tokenizer.json');
  const jsonFile = await readOptionalFile(jsonPath);
  if (!jsonFile) {
    const missing = vocabFile ? mergesPath : vocabPath;
    throw new ModelFileError(`${missing} is missing and there is no tokenizer.json: not a CLIP tokenizer folder`, dir);
  }
  const data = clipBpeFromTokenizerJson(parseTokenizerJson(asUtf8(jsonFile, jsonPath), jsonPath), jsonPath);
  return { ...data, source: jsonPath };
}

async function readOptionalJson(path: string): Promise<Record<string, unknown>> {
  const file = await readOptionalFile(path);
  if (!file) return {};
  const text = asUtf8(file, path);
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new ModelFileError('is not a JSON object', path);
}

/** A special token is written either as a string or as a serialized `AddedToken` ({ content, ... }). */
function specialTokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** vocab.json: `{ token: id }` with distinct non-negative integer ids. */
export function parseVocab(text: string, path: string): Map<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(`is not valid JSON: ${(error as Error).message}`, path);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ModelFileError('must be a JSON object mapping tokens to ids', path);
  }
  const vocab = new Map<string, number>();
  const seen = new Set<number>();
  for (const [token, id] of Object.entries(parsed)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || seen.has(id)) {
      throw new ModelFileError(`token ${JSON.stringify(token)} has an invalid or duplicate id ${String(id)}`, path);
    }
    seen.add(id);
    vocab.set(token, id);
  }
  return vocab;
}

/**
 * merges.txt as transformers reads it: strip the file, split on newlines, drop the first (`#version`) line, split
 * each line on whitespace. Lines that are not a pair come back as `null`: they keep their rank slot but never match, as in Python.
 */
export function parseMerges(text: string): ([string, string] | null)[] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const parts = line.split(/\s+/).filter((part) => part !== '');
      return parts.length === 2 ? [parts[0], parts[1]] : null;
    });
}
