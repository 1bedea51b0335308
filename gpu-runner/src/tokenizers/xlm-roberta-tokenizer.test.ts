import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  expectEveryRow,
  expectFirstRow,
  REFERENCE,
  type ReferenceCase,
  readExtendedCases,
  readReferenceCases,
  SHIPPED,
} from '../../test/helpers/tokenizer-cases.js';
import { loadXlmRobertaTokenizer } from './xlm-roberta-tokenizer.js';

/** Reference outputs of transformers' XLMRobertaTokenizer (slow, sentencepiece 0.1.97) on the tiny model. */
const cases = readReferenceCases<{
  xlmr: ReferenceCase[];
  xlmr_special: { bos: number; eos: number; pad: number; unk: number; mask: number; vocab_size: number };
}>();

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
      expectFirstRow(batch, reference);
      if (reference.tokens) expect(tokenizer.idsToTokens(batch.inputIds[0])).toEqual(reference.tokens);
    },
  );

  it('encodes a whole batch in one call, row by row', () => {
    const batch = tokenizer.encode(cases.xlmr.map((c) => c.text));
    expectEveryRow(batch, cases.xlmr);
  });
});

/** More reference cases: transformers' tokenization code and sentencepiece 0.1.97 run by make_extended_cases.py. */
const extended = readExtendedCases<{
  generator: { max_length: number };
  xlmr: ReferenceCase[];
}>();

describe('XLM-R tokenizer against the extended reference cases', async () => {
  const tokenizer = await loadXlmRobertaTokenizer(join(SHIPPED, 'xlmr_tiny'));

  it.each(extended.xlmr.map((c) => [JSON.stringify(c.text).slice(0, 60), c] as const))(
    'matches the reference for %s',
    (_name, reference) => {
      const batch = tokenizer.encode([reference.text], { maxLength: extended.generator.max_length });
      expectFirstRow(batch, reference);
    },
  );
});
