import { describe, expect, it } from 'vitest';
import { ByteLevelBpe, byteEncode } from './byte-level-bpe.js';

describe('byteEncode (GPT-2 bytes_to_unicode)', () => {
  it('keeps printable Latin-1 bytes and moves the others to U+0100 and up', () => {
    expect(byteEncode('a~!')).toBe('a~!');
    expect(byteEncode(' ')).toBe('Ġ'); // 0x20 is the 33rd non-printable byte: U+0100 + 32
    expect(byteEncode('\n')).toBe('Ċ');
    expect(byteEncode('é')).toBe('Ã©'); // UTF-8 C3 A9, both printable Latin-1
    expect(byteEncode('\u00ad')).toBe('ÂŃ'); // C2 AD: 0xAD is not printable → U+0143
  });
});

describe('ByteLevelBpe', () => {
  it('merges the lowest-ranked pair first, with </w> on the last symbol', () => {
    const bpe = new ByteLevelBpe(
      [
        ['a', 'b'],
        ['ab', 'c</w>'],
        ['b', 'c</w>'],
      ],
      [],
    );
    expect(bpe.encodeWord('abc')).toEqual(['abc</w>']);
    expect(bpe.encodeWord('bc')).toEqual(['bc</w>']);
    expect(bpe.encodeWord('cab')).toEqual(['c', 'a', 'b</w>']); // (a, b</w>) is not a merge
    expect(bpe.encodeWord('x')).toEqual(['x</w>']);
  });

  it('merges every occurrence of the pair, left to right without overlap', () => {
    const bpe = new ByteLevelBpe([['a', 'a']], []);
    expect(bpe.encodeWord('aaaaa')).toEqual(['aa', 'aa', 'a</w>']);
  });

  it('gives a pair listed twice its last rank, like the Python dict', () => {
    const bpe = new ByteLevelBpe(
      [
        ['b', 'c</w>'],
        ['a', 'b'],
        ['b', 'c</w>'],
      ],
      [],
    );
    expect(bpe.encodeWord('abc')).toEqual(['ab', 'c</w>']);
  });

  it('skips malformed merge lines but keeps their rank slot', () => {
    const bpe = new ByteLevelBpe([null, ['a', 'b</w>']], []);
    expect(bpe.encodeWord('ab')).toEqual(['ab</w>']);
  });

  it('returns pass-through tokens whole, without </w>', () => {
    const bpe = new ByteLevelBpe([['<', '|']], ['<|endoftext|>']);
    expect(bpe.encodeWord('<|endoftext|>')).toEqual(['<|endoftext|>']);
  });
});

describe('ByteLevelBpe cache', () => {
  it('stays bounded and gives the same result after being cleared', () => {
    const bpe = new ByteLevelBpe([['a', 'b</w>']], ['<|endoftext|>'], 2);
    const first = bpe.encodeWord('ab');
    for (const word of ['x', 'y', 'z', 'w']) bpe.encodeWord(word);
    expect(bpe.encodeWord('ab')).toEqual(first);
    expect(bpe.encodeWord('<|endoftext|>')).toEqual(['<|endoftext|>']);
    expect((bpe as unknown as { cache: Map<string, string[]> }).cache.size).toBeLessThanOrEqual(2);
  });
});
