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
import { loadClipTokenizer } from './clip-tokenizer.js';

/** Reference outputs of transformers' CLIPTokenizer (slow, no ftfy) on the tiny vocabulary, max_length 12. */
const cases = readReferenceCases<{
  clip: ReferenceCase[];
  clip_special: { bos: number; eos: number; pad: number; vocab_size: number; model_max_length: number };
}>();

describe('CLIP tokenizer (tiny byte-level BPE vocabulary)', async () => {
  const special = cases.clip_special;
  const tokenizer = await loadClipTokenizer(join(REFERENCE, 'clip_tiny'), { maxLength: special.model_max_length });

  it('has the reference special ids and vocabulary size', () => {
    expect([tokenizer.bosId, tokenizer.eosId, tokenizer.padId]).toEqual([special.bos, special.eos, special.pad]);
    expect(tokenizer.vocabSize).toBe(special.vocab_size);
    expect(tokenizer.maxLength).toBe(special.model_max_length);
  });

  it('defaults to 77 tokens when neither the options nor a tokenizer_config.json say otherwise', async () => {
    const defaulted = await loadClipTokenizer(join(REFERENCE, 'clip_tiny'));
    expect(defaulted.maxLength).toBe(77);
    expect(defaulted.encode(['a red cat']).inputIds[0]).toHaveLength(77);
  });

  it.each(cases.clip.map((c) => [JSON.stringify(c.text).slice(0, 50), c] as const))(
    'matches the reference ids, mask and tokens for %s',
    (_name, reference) => {
      const batch = tokenizer.encode([reference.text]);
      expectFirstRow(batch, reference);
      if (reference.tokens) expect(tokenizer.idsToTokens(batch.inputIds[0])).toEqual(reference.tokens);
    },
  );

  it('encodes a whole batch in one call, row by row', () => {
    const batch = tokenizer.encode(cases.clip.map((c) => c.text));
    expectEveryRow(batch, cases.clip);
  });
});

/** More reference cases: transformers' tokenization code run by make_extended_cases.py (see the fixture README). */
const extended = readExtendedCases<{
  generator: { max_length: number };
  clip: ReferenceCase[];
}>();

describe('CLIP tokenizer against the extended reference cases', async () => {
  const tokenizer = await loadClipTokenizer(join(SHIPPED, 'clip_tiny'));

  it.each(extended.clip.map((c) => [JSON.stringify(c.text).slice(0, 60), c] as const))(
    'matches the reference for %s',
    (_name, reference) => {
      const batch = tokenizer.encode([reference.text], { maxLength: extended.generator.max_length });
      expectFirstRow(batch, reference);
    },
  );
});
