import { PieceType, type SentencePiece } from './sentencepiece-model.js';

/** SentencePiece's penalty below the lowest piece score for a character no piece covers (`kUnkPenalty`). */
const UNKNOWN_PENALTY = 10;
/** C's FLT_MAX / FLT_MIN: the initial min/max score, as in `unigram::Model::Model`. */
const FLT_MAX = 3.4028234663852886e38;
const FLT_MIN = 1.1754943508222875e-38;

interface TrieNode {
  children: Map<number, TrieNode>;
  /** Vocabulary id of the piece ending here, or -1. */
  pieceId: number;
}

/** One segment of the normalized text and the vocabulary id it was given. */
export interface UnigramSegment {
  piece: string;
  id: number;
}

/**
 * Best segmentation of normalized text under a SentencePiece unigram model: the Viterbi search of
 * `unigram::Model::EncodeOptimized` (sentencepiece 0.1.97, the default encoder), including its float32 score
 * arithmetic and tie-breaking (the first path found wins), unknown characters scored `min score - 10`, and runs of
 * unknown characters merged into one unknown piece as `SentencePieceProcessor` does.
 */
export class UnigramSegmenter {
  private readonly root: TrieNode = { children: new Map(), pieceId: -1 };
  private readonly unknownId: number;
  private readonly unknownScore: number;
  private readonly maxScore: number;
  private readonly pieceByteLengths: Int32Array;

  /** `pieces` in vocabulary order (index = id). Exactly one piece must have type UNKNOWN. */
  constructor(private readonly pieces: readonly SentencePiece[]) {
    let minScore = FLT_MAX;
    let maxScore = FLT_MIN;
    let unknownId = -1;
    const encoder = new TextEncoder();
    this.pieceByteLengths = new Int32Array(pieces.length);
    pieces.forEach((piece, id) => {
      this.pieceByteLengths[id] = encoder.encode(piece.piece).length;
      if (piece.type === PieceType.Normal) {
        minScore = Math.min(minScore, piece.score);
        maxScore = Math.max(maxScore, piece.score);
      }
      if (piece.type === PieceType.Unknown) {
        if (unknownId >= 0) throw new RangeError(`two unknown pieces: ids ${unknownId} and ${id}`);
        unknownId = id;
      }
      // Only these types take part in segmentation; CONTROL/UNKNOWN/BYTE pieces are never matched from text.
      if (piece.type === PieceType.Normal || piece.type === PieceType.UserDefined || piece.type === PieceType.Unused) {
        this.insert(piece.piece, id);
      }
    });
    if (unknownId < 0) throw new RangeError('the model has no unknown piece');
    this.unknownId = unknownId;
    // float arithmetic, as in C++ (`const float unk_score = min_score() - kUnkPenalty`).
    this.unknownScore = Math.fround(minScore - UNKNOWN_PENALTY);
    this.maxScore = maxScore;
  }

  private insert(piece: string, id: number): void {
    let node = this.root;
    for (const char of piece) {
      const codePoint = char.codePointAt(0)!;
      let child = node.children.get(codePoint);
      if (!child) {
        child = { children: new Map(), pieceId: -1 };
        node.children.set(codePoint, child);
      }
      node = child;
    }
    if (node.pieceId >= 0) throw new RangeError(`piece ${JSON.stringify(piece)} is defined twice`);
    node.pieceId = id;
  }

  /** Segments already-normalized text (see `SentencePieceNormalizer`). Empty text gives no segments. */
  segment(normalized: string): UnigramSegment[] {
    const chars = Array.from(normalized, (char) => char.codePointAt(0)!);
    const size = chars.length;
    // Best path ending at each character boundary: score (float32), start of its last piece, that piece's id.
    const bestScore = new Float64Array(size + 1);
    const bestStart = new Int32Array(size + 1).fill(-1);
    const bestId = new Int32Array(size + 1).fill(-1);

    for (let start = 0; start < size; start++) {
      const scoreSoFar = bestScore[start];
      let hasSingleCharPiece = false;
      let node: TrieNode | undefined = this.root;
      for (let end = start + 1; end <= size; end++) {
        node = node.children.get(chars[end - 1]);
        if (!node) break;
        const id = node.pieceId;
        if (id < 0) continue;
        const piece = this.pieces[id];
        if (piece.type === PieceType.Unused) continue;
        // C++ promotes to double here (the ternary mixes float and double); the sum is compared unrounded and
        // stored as float. User-defined pieces get a bonus so they always win.
        const score =
          piece.type === PieceType.UserDefined
            ? Math.fround(this.pieceByteLengths[id] * this.maxScore) - 0.1
            : piece.score;
        const candidate = score + scoreSoFar;
        if (bestStart[end] === -1 || candidate > bestScore[end]) {
          bestScore[end] = Math.fround(candidate);
          bestStart[end] = start;
          bestId[end] = id;
        }
        if (end === start + 1) hasSingleCharPiece = true;
      }
      if (!hasSingleCharPiece) {
        const candidate = Math.fround(this.unknownScore + scoreSoFar);
        if (bestStart[start + 1] === -1 || candidate > bestScore[start + 1]) {
          bestScore[start + 1] = candidate;
          bestStart[start + 1] = start;
          bestId[start + 1] = this.unknownId;
        }
      }
    }

    const reversed: UnigramSegment[] = [];
    for (let end = size; end > 0; end = bestStart[end]) {
      reversed.push({ piece: String.fromCodePoint(...chars.slice(bestStart[end], end)), id: bestId[end] });
    }
    reversed.reverse();
    return mergeUnknownRuns(reversed, this.unknownId);
  }
}

/** Consecutive unknown pieces become one (`SentencePieceProcessor::PopulateSentencePieceText`). */
function mergeUnknownRuns(segments: UnigramSegment[], unknownId: number): UnigramSegment[] {
  const merged: UnigramSegment[] = [];
  for (const segment of segments) {
    const previous = merged[merged.length - 1];
    if (previous && previous.id === unknownId && segment.id === unknownId) previous.piece += segment.piece;
    else merged.push({ ...segment });
  }
  return merged;
}
