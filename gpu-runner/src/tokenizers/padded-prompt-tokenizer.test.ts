import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError } from '../io/errors.js';
import { SHIPPED_FIXTURES } from '../verify/fixture-root.js';
import { loadClipTokenizer } from './clip-tokenizer.js';
import { TokenizerError, type TokenizerErrorCode } from './errors.js';
import type { PromptTokenizer } from './types.js';
import { loadXlmRobertaTokenizer } from './xlm-roberta-tokenizer.js';

// The shipped tiny tokenizer files (the unit tests' own expectations were made for them, so they do not follow
// KANDINSKY_FIXTURES; the harness parity cases in clip-/xlm-roberta-tokenizer.test.ts do).
const FIXTURES = join(SHIPPED_FIXTURES, 'kandinsky21-tiny', 'tokenizers');
const cases = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as {
  xlmr: { text: string; input_ids: number[]; attention_mask: number[] }[];
};

function expectTokenizerError(run: () => unknown, code: TokenizerErrorCode, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TokenizerError);
  expect((caught as TokenizerError).code).toBe(code);
  expect((caught as TokenizerError).message).toMatch(message);
}

describe.each([
  ['XLM-R', () => loadXlmRobertaTokenizer(join(FIXTURES, 'xlmr_tiny'))],
  ['CLIP', () => loadClipTokenizer(join(FIXTURES, 'clip_tiny'))],
])('%s tokenizer input checks', (_name, load) => {
  let tokenizer: PromptTokenizer;
  beforeAll(async () => {
    tokenizer = await load();
  });

  it('rejects prompts that are not strings, naming the prompt', () => {
    for (const bad of [42, null, undefined, ['a'], { text: 'a' }]) {
      expectTokenizerError(
        () => tokenizer.encode(['fine', bad as unknown as string]),
        'invalid-text',
        /^prompt 1 must be a string, got /,
      );
    }
    expectTokenizerError(() => tokenizer.encode('a cat' as unknown as string[]), 'invalid-text', /array of prompts/);
  });

  it('rejects text that is not well-formed UTF-16 (lone surrogates), with the position', () => {
    expectTokenizerError(() => tokenizer.encode(['a\ud800b']), 'invalid-text', /lone surrogate U\+D800 at position 1/);
    expectTokenizerError(() => tokenizer.encode(['cat \udc00']), 'invalid-text', /U\+DC00 at position 4/);
    expectTokenizerError(() => tokenizer.encode(['ends high \ud83d']), 'invalid-text', /U\+D83D at position 10/);
    expectTokenizerError(() => tokenizer.encode(['\udc00\ud800']), 'invalid-text', /U\+DC00 at position 0/);
    // A proper pair is fine.
    expect(tokenizer.encode(['🐱 cat']).inputIds).toHaveLength(1);
  });

  it('rejects prompts over the character cap (default 4,000 UTF-16 units) instead of truncating them', () => {
    expect(tokenizer.encode(['a'.repeat(4000)]).inputIds[0]).toHaveLength(tokenizer.maxLength);
    expectTokenizerError(
      () => tokenizer.encode(['a'.repeat(4001)]),
      'prompt-too-long',
      /^prompt 0 has 4001 characters; the limit is 4000$/,
    );
  });

  it('with overflow "error", rejects a prompt with more tokens than fit instead of truncating it', () => {
    const long = 'a '.repeat(100);
    expect(tokenizer.encode([long]).attentionMask[0].every((m) => m === 1)).toBe(true);
    expectTokenizerError(
      () => tokenizer.encode([long], { overflow: 'error' }),
      'too-many-tokens',
      /^prompt 0 has 100 tokens; at most 75 fit in 77/,
    );
    expect(() => tokenizer.encode(['a cat'], { overflow: 'error' })).not.toThrow();
  });

  it('rejects a maxLength without room for the start and end tokens', () => {
    for (const maxLength of [1, 0, -3, 2.5, Number.NaN]) {
      expectTokenizerError(() => tokenizer.encode(['a'], { maxLength }), 'invalid-option', /maxLength must be/);
    }
    const minimal = tokenizer.encode(['a red cat'], { maxLength: 2 });
    expect(Array.from(minimal.inputIds[0])).toEqual([tokenizer.bosId, tokenizer.eosId]);
    expect(Array.from(minimal.attentionMask[0])).toEqual([1, 1]);
  });

  it('returns an empty batch for no prompts', () => {
    expect(tokenizer.encode([])).toEqual({ inputIds: [], attentionMask: [] });
  });
});

describe('truncation', () => {
  it('keeps the first maxLength-2 tokens and the closing </s>, as transformers does', async () => {
    const tokenizer = await loadXlmRobertaTokenizer(join(FIXTURES, 'xlmr_tiny'));
    // Reference: 40 tokens untruncated (42 with <s>, </s>); cut to 12 the way truncation=True does.
    const reference = cases.xlmr.find((c) => c.text.startsWith('a a a'))!;
    const real = reference.input_ids.slice(0, reference.attention_mask.indexOf(0));
    const expected = [...real.slice(0, 11), tokenizer.eosId];
    const batch = tokenizer.encode([reference.text], { maxLength: 12 });
    expect(Array.from(batch.inputIds[0])).toEqual(expected);
    expect(Array.from(batch.attentionMask[0])).toEqual(new Array(12).fill(1));
  });
});

describe('loader option checks', () => {
  it('applies a custom character cap', async () => {
    const tokenizer = await loadXlmRobertaTokenizer(join(FIXTURES, 'xlmr_tiny'), { maxPromptChars: 10 });
    expect(() => tokenizer.encode(['0123456789'])).not.toThrow();
    expectTokenizerError(() => tokenizer.encode(['01234567890']), 'prompt-too-long', /limit is 10/);
  });

  it('rejects invalid loader options', async () => {
    await expect(loadClipTokenizer(join(FIXTURES, 'clip_tiny'), { maxLength: 1 })).rejects.toThrow(TokenizerError);
    await expect(loadXlmRobertaTokenizer(join(FIXTURES, 'xlmr_tiny'), { maxPromptChars: -1 })).rejects.toThrow(
      /maxPromptChars must be a non-negative integer/,
    );
  });
});

describe('tokenizer file errors', () => {
  it('reports a missing folder or file with its path', async () => {
    const missing = join(FIXTURES, 'does-not-exist');
    await expect(loadXlmRobertaTokenizer(missing)).rejects.toThrow(ModelFileError);
    await expect(loadXlmRobertaTokenizer(missing)).rejects.toThrow(
      /does-not-exist: no sentencepiece\.bpe\.model or tokenizer\.json/,
    );
    await expect(loadClipTokenizer(missing)).rejects.toThrow(/does-not-exist\/vocab\.json/);
  });

  it('reports a corrupt SentencePiece model or vocabulary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokenizer-errors-'));
    const model = new Uint8Array(readFileSync(join(FIXTURES, 'xlmr_tiny/sentencepiece.bpe.model')));
    await writeFile(join(dir, 'sentencepiece.bpe.model'), model.subarray(0, 1000));
    await expect(loadXlmRobertaTokenizer(dir)).rejects.toThrow(/not a usable XLM-R SentencePiece model: .*runs past/);

    await writeFile(join(dir, 'vocab.json'), '{"a": 0, "b": 0}');
    await writeFile(join(dir, 'merges.txt'), '#version: 0.2\n');
    await expect(loadClipTokenizer(dir)).rejects.toThrow(/invalid or duplicate id 0/);
    await writeFile(join(dir, 'vocab.json'), '{"a</w>": 0}');
    await expect(loadClipTokenizer(dir)).rejects.toThrow(/"<\|endoftext\|>" is not in the vocabulary/);
    await writeFile(join(dir, 'vocab.json'), 'not json');
    await expect(loadClipTokenizer(dir)).rejects.toThrow(/vocab\.json: is not valid JSON/);
  });
});
