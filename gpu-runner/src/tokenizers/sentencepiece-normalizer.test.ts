import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIPPED_FIXTURES } from '../verify/fixture-root.js';
import { parseSentencePieceModel, type SentencePieceNormalizerSpec } from './sentencepiece-model.js';
import { SentencePieceNormalizer } from './sentencepiece-normalizer.js';

// The shipped tiny tokenizer files (the unit tests' own expectations were made for them, so they do not follow
// KANDINSKY_FIXTURES; the harness parity cases in clip-/xlm-roberta-tokenizer.test.ts do).
const FIXTURES = join(SHIPPED_FIXTURES, 'kandinsky21-tiny', 'tokenizers');
const model = parseSentencePieceModel(
  new Uint8Array(readFileSync(join(FIXTURES, 'xlmr_tiny/sentencepiece.bpe.model'))),
);
const nmtNfkc = SentencePieceNormalizer.create(model.normalizerSpec, {
  treatWhitespaceAsSuffix: false,
  userDefinedSymbols: [],
});

function identity(overrides: Partial<SentencePieceNormalizerSpec>, treatWhitespaceAsSuffix = false) {
  const spec: SentencePieceNormalizerSpec = {
    name: 'identity',
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
    ...overrides,
  };
  return SentencePieceNormalizer.create(spec, { treatWhitespaceAsSuffix, userDefinedSymbols: [] });
}

describe('SentencePieceNormalizer with the model’s nmt_nfkc rules', () => {
  it('adds the ▁ prefix, escapes spaces and collapses/strips whitespace', () => {
    expect(nmtNfkc.normalize('a red cat')).toBe('▁a▁red▁cat');
    expect(nmtNfkc.normalize('  a \t\n  b  ')).toBe('▁a▁b');
    expect(nmtNfkc.normalize('')).toBe('');
    expect(nmtNfkc.normalize(' \t\u3000 ')).toBe('');
  });

  it('applies NFKC through the compiled rules', () => {
    expect(nmtNfkc.normalize('Ｆｕｌｌ ﬁ ①')).toBe('▁Full▁fi▁1');
    expect(nmtNfkc.normalize('ﷺ')).toBe('▁صلى▁الله▁عليه▁وسلم');
  });

  // Where the model's rules and String.prototype.normalize('NFKC') disagree (measured over all code points: 203 of
  // them, in three groups), the rules are what the reference ran; these are one example of each group.
  it('differs from plain NFKC exactly where the reference does', () => {
    // 1. nmt rules: C0/C1 controls removed, other whitespace-like characters (ZWSP, LRM, ...) become spaces.
    expect(nmtNfkc.normalize('a\u0007b')).toBe('▁ab');
    expect('a\u0007b'.normalize('NFKC')).toBe('a\u0007b');
    expect(nmtNfkc.normalize('a\u200bb\u200ec')).toBe('▁a▁b▁c');
    // 2. U+FF5E FULLWIDTH TILDE is deliberately kept by nmt_nfkc (NFKC gives "~").
    expect(nmtNfkc.normalize('a～b')).toBe('▁a～b');
    // 3. Characters newer than the rules' Unicode version pass through; Node's NFKC (newer Unicode) maps them.
    expect(nmtNfkc.normalize('ꟲ')).toBe('▁ꟲ');
    expect('ꟲ'.normalize('NFKC')).toBe('C');
  });

  it('passes user-defined symbols through unnormalized', () => {
    const withSymbol = SentencePieceNormalizer.create(model.normalizerSpec, {
      treatWhitespaceAsSuffix: false,
      userDefinedSymbols: ['Ｆｕ'],
    });
    expect(withSymbol.normalize('Ｆｕｌｌ')).toBe('▁Ｆｕll');
  });
});

describe('SentencePieceNormalizer spec flags (no compiled rules)', () => {
  it('without rules, leaves characters alone', () => {
    expect(identity({}).normalize('Ｆｕ\u200b')).toBe('▁Ｆｕ\u200b');
  });
  it('add_dummy_prefix=false', () => {
    expect(identity({ addDummyPrefix: false }).normalize('  a  b ')).toBe('a▁b');
  });
  it('remove_extra_whitespaces=false keeps every space', () => {
    expect(identity({ removeExtraWhitespaces: false }).normalize(' a  b ')).toBe('▁▁a▁▁b▁');
  });
  it('escape_whitespaces=false keeps plain spaces', () => {
    expect(identity({ escapeWhitespaces: false }).normalize('a  b')).toBe(' a b');
  });
  it('treat_whitespace_as_suffix puts the dummy space at the end', () => {
    expect(identity({}, true).normalize('a b')).toBe('a▁b▁');
  });
  it('rejects a broken charsmap', () => {
    const broken = new Uint8Array([0xff, 0xff, 0, 0, 1, 2]);
    expect(() => identity({ precompiledCharsmap: broken })).toThrow(/precompiled_charsmap is broken/);
  });
});
