import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SHIPPED_FIXTURES, tinyFixtures } from '../verify/fixture-root.js';
import { loadXlmRobertaTokenizer } from './xlm-roberta-tokenizer.js';

// The harness's reference cases run on the active tiny set's tokenizer (KANDINSKY_FIXTURES moves both); the
// extended cases were made for the shipped tiny vocabulary and use it.
const REFERENCE = join(tinyFixtures(), 'tokenizers');
const SHIPPED = join(SHIPPED_FIXTURES, 'kandinsky21-tiny', 'tokenizers');
const EXTENDED = fileURLToPath(new URL('../../test/fixtures/tokenizers', import.meta.url));

/** Reference outputs of transformers' XLMRobertaTokenizer (slow, sentencepiece 0.1.97) on the tiny model. */
interface ReferenceCase {
  text: string;
  input_ids: number[];
  attention_mask: number[];
  tokens?: string[];
}
const cases = JSON.parse(readFileSync(join(REFERENCE, 'cases.json'), 'utf8')) as {
  xlmr: ReferenceCase[];
  xlmr_special: { bos: number; eos: number; pad: number; unk: number; mask: number; vocab_size: number };
};

describe('XLM-R tokenizer (tiny SentencePiece unigram model)', async () => {
  const tokenizer = await loadXlmRobertaTokenizer(join(REFERENCE, 'xlmr_tiny'));

  it('has the reference special ids, vocabulary size and the pipeline length 77', () => {
    const special = cases.xlmr_special;
    expect([tokenizer.bosId, tokenizer.eosId, tokenizer.padId]).toEqual([special.bos, special.eos, special.pad]);
    expect(tokenizer.vocabSize).toBe(special.vocab_size);
    expect(tokenizer.idsToTokens([special.unk, special.mask])).toEqual(['<unk>', '<mask>']);
    expect(tokenizer.maxLength).toBe(77);
  });

  it.each(cases.xlmr.map((c) => [JSON.stringify(c.text).slice(0, 50), c] as const))(
    'matches the reference ids, mask and tokens for %s',
    (_name, reference) => {
      const batch = tokenizer.encode([reference.text], { maxLength: reference.input_ids.length });
      expect(Array.from(batch.inputIds[0])).toEqual(reference.input_ids);
      expect(Array.from(batch.attentionMask[0])).toEqual(reference.attention_mask);
      if (reference.tokens) expect(tokenizer.idsToTokens(batch.inputIds[0])).toEqual(reference.tokens);
    },
  );

  it('encodes a whole batch in one call, row by row', () => {
    const batch = tokenizer.encode(cases.xlmr.map((c) => c.text));
    expect(batch.inputIds.map((row) => Array.from(row))).toEqual(cases.xlmr.map((c) => c.input_ids));
    expect(batch.attentionMask.map((row) => Array.from(row))).toEqual(cases.xlmr.map((c) => c.attention_mask));
  });
});

/** More reference cases: transformers' tokenization code and sentencepiece 0.1.97 run by make_extended_cases.py. */
const extended = JSON.parse(readFileSync(join(EXTENDED, 'extended_cases.json'), 'utf8')) as {
  generator: { max_length: number };
  xlmr: ReferenceCase[];
};

describe('XLM-R tokenizer against the extended reference cases', async () => {
  const tokenizer = await loadXlmRobertaTokenizer(join(SHIPPED, 'xlmr_tiny'));

  it.each(extended.xlmr.map((c) => [JSON.stringify(c.text).slice(0, 60), c] as const))(
    'matches the reference for %s',
    (_name, reference) => {
      const batch = tokenizer.encode([reference.text], { maxLength: extended.generator.max_length });
      expect(Array.from(batch.inputIds[0])).toEqual(reference.input_ids);
      expect(Array.from(batch.attentionMask[0])).toEqual(reference.attention_mask);
    },
  );
});
