import { describe, expect, it } from 'vitest';
import { splitOnSpecialTokens } from './special-token-splitter.js';

const eot = { content: '<|endoftext|>', lstrip: false, rstrip: false };
const mask = { content: '<mask>', lstrip: true, rstrip: false };
const eater = { content: '<eat>', lstrip: false, rstrip: true };

describe('splitOnSpecialTokens', () => {
  it('cuts special tokens out of the text, keeping surrounding whitespace', () => {
    expect(splitOnSpecialTokens('a <|endoftext|> b', [eot])).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'special', content: '<|endoftext|>' },
      { kind: 'text', text: ' b' },
    ]);
  });

  it('is case-sensitive and leaves text without special tokens whole', () => {
    expect(splitOnSpecialTokens('<|ENDOFTEXT|>', [eot])).toEqual([{ kind: 'text', text: '<|ENDOFTEXT|>' }]);
    expect(splitOnSpecialTokens('', [eot])).toEqual([]);
  });

  it('strips whitespace on the stripping side, as Python str.strip does', () => {
    expect(splitOnSpecialTokens('a \x1c\t<mask> b', [mask])).toEqual([
      { kind: 'text', text: 'a' },
      { kind: 'special', content: '<mask>' },
      { kind: 'text', text: ' b' },
    ]);
    expect(splitOnSpecialTokens('a <eat>  \u3000b', [eater])).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'special', content: '<eat>' },
      { kind: 'text', text: 'b' },
    ]);
  });

  it('drops text left empty by stripping and handles adjacent tokens', () => {
    expect(splitOnSpecialTokens('  <mask><|endoftext|><mask>', [mask, eot])).toEqual([
      { kind: 'special', content: '<mask>' },
      { kind: 'special', content: '<|endoftext|>' },
      { kind: 'special', content: '<mask>' },
    ]);
  });

  it('prefers the longest token starting at a position', () => {
    const short = { content: '<a', lstrip: false, rstrip: false };
    const long = { content: '<ab>', lstrip: false, rstrip: false };
    expect(splitOnSpecialTokens('x<ab>', [short, long])).toEqual([
      { kind: 'text', text: 'x' },
      { kind: 'special', content: '<ab>' },
    ]);
  });
});
