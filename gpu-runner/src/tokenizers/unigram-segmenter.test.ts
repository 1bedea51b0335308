import { describe, expect, it } from 'vitest';
import { PieceType, type SentencePiece } from './sentencepiece-model.js';
import { UnigramSegmenter } from './unigram-segmenter.js';

const { Normal, Unknown, Control, UserDefined, Unused } = PieceType;
function vocabulary(entries: [string, number, PieceType?][]): SentencePiece[] {
  return [
    { piece: '<unk>', score: 0, type: Unknown },
    { piece: '<s>', score: 0, type: Control },
    ...entries.map(([piece, score, type = Normal]) => ({ piece, score, type })),
  ];
}
const pieces = (segmenter: UnigramSegmenter, text: string) => segmenter.segment(text).map((s) => s.piece);

describe('UnigramSegmenter', () => {
  it('picks the segmentation with the highest total score', () => {
    const segmenter = new UnigramSegmenter(
      vocabulary([
        ['▁ab', -1],
        ['▁', -2],
        ['a', -3],
        ['b', -3],
        ['ab', -1.5],
      ]),
    );
    expect(pieces(segmenter, '▁ab')).toEqual(['▁ab']); // -1 beats ▁+ab (-3.5) and ▁+a+b (-8)
    expect(pieces(segmenter, '▁abab')).toEqual(['▁ab', 'ab']);
    expect(segmenter.segment('▁ab')[0].id).toBe(2);
    expect(segmenter.segment('')).toEqual([]);
  });

  it('keeps the first path found on a tie, as sentencepiece does', () => {
    const segmenter = new UnigramSegmenter(
      vocabulary([
        ['ab', -2],
        ['a', -1],
        ['b', -1],
      ]),
    );
    expect(pieces(segmenter, 'ab')).toEqual(['ab']);
  });

  it('scores uncovered characters as unknown (min score - 10) and merges runs of them', () => {
    const segmenter = new UnigramSegmenter(
      vocabulary([
        ['▁', -2],
        ['b', -4],
      ]),
    );
    expect(segmenter.segment('▁xyb▁z')).toEqual([
      { piece: '▁', id: 2 },
      { piece: 'xy', id: 0 },
      { piece: 'b', id: 3 },
      { piece: '▁', id: 2 },
      { piece: 'z', id: 0 },
    ]);
    // Astral characters are one character each.
    expect(pieces(segmenter, '▁🐱🚀b')).toEqual(['▁', '🐱🚀', 'b']);
  });

  it('uses even the worst piece rather than unknown characters (unknown = lowest score - 10)', () => {
    const segmenter = new UnigramSegmenter(
      vocabulary([
        ['xy', -30],
        ['b', -4],
      ]),
    );
    // xy: -30; x and y as unknowns: 2 × (-30 - 10) = -80.
    expect(segmenter.segment('xyb')).toEqual([
      { piece: 'xy', id: 2 },
      { piece: 'b', id: 3 },
    ]);
  });

  it('gives user-defined pieces a winning bonus and never uses unused pieces', () => {
    const segmenter = new UnigramSegmenter(
      vocabulary([
        ['x', -1],
        ['y', -1],
        ['xy', -50, UserDefined],
        ['yx', 10, Unused],
      ]),
    );
    expect(pieces(segmenter, 'xyx')).toEqual(['xy', 'x']);
  });

  it('needs exactly one unknown piece', () => {
    expect(() => new UnigramSegmenter([{ piece: 'a', score: -1, type: Normal }])).toThrow(/no unknown piece/);
    expect(
      () =>
        new UnigramSegmenter([
          { piece: '<unk>', score: 0, type: Unknown },
          { piece: '<unk2>', score: 0, type: Unknown },
        ]),
    ).toThrow(/two unknown pieces/);
  });
});
