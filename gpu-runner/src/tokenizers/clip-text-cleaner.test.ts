import { describe, expect, it } from 'vitest';
import { cleanClipText } from './clip-text-cleaner.js';

// Expected values follow transformers' BasicTokenizer(strip_accents=False, do_split_on_punc=False).
describe('cleanClipText', () => {
  it('lowercases and collapses whitespace but keeps accents and punctuation attached', () => {
    expect(cleanClipText('  A Red  CAT,\tCafé!\n')).toBe('a red cat, café!');
  });

  it('puts CJK ideographs in words of their own (not kana or hangul)', () => {
    expect(cleanClipText('猫猫cat東京タワー고양이')).toBe('猫 猫 cat 東 京 タワー고양이');
  });

  it('drops NUL, U+FFFD and C* characters (controls, format, private use)', () => {
    expect(cleanClipText('a\u0000b\ufffdc\u200bd\u0007e\ue000f\u00adg')).toBe('abcdefg');
  });

  it('treats Zs spaces and line/paragraph separators as word breaks', () => {
    expect(cleanClipText('a\u00a0b\u3000c\u2028d\u2029e')).toBe('a b c d e');
  });

  it('composes (NFC) and lowercases with final sigma', () => {
    expect(cleanClipText('Cafe\u0301 ΟΔΥΣΣΕΥΣ')).toBe('café οδυσσευς');
  });

  it('gives an empty string for blank input', () => {
    expect(cleanClipText(' \t\n ')).toBe('');
  });
});
