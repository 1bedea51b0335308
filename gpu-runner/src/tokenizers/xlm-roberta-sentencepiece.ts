import type { TextToIds } from './padded-prompt-tokenizer.js';
import { PieceType, type SentencePieceModel } from './sentencepiece-model.js';
import { SentencePieceNormalizer } from './sentencepiece-normalizer.js';
import { type SpecialToken, splitOnSpecialTokens } from './special-token-splitter.js';
import { UnigramSegmenter } from './unigram-segmenter.js';

/** fairseq's ids for XLM-R's special tokens; every SentencePiece id i > 0 becomes i + 1 (`fairseq_offset`). */
export const XLMR_BOS_ID = 0;
export const XLMR_PAD_ID = 1;
export const XLMR_EOS_ID = 2;
export const XLMR_UNK_ID = 3;
const FAIRSEQ_OFFSET = 1;

/** Thrown when a SentencePiece model cannot be used as XLM-R's; the loader adds the file name. */
export class UnsupportedSentencePieceModelError extends Error {
  override readonly name = 'UnsupportedSentencePieceModelError';
}

/**
 * XLM-RoBERTa's text-to-ids step (transformers `XLMRobertaTokenizer` with sentencepiece 0.1.97): special tokens
 * written in the prompt are kept whole (`<mask>` eats the whitespace before it), every other stretch of text is
 * normalized and segmented by the SentencePiece unigram model, and pieces are mapped to fairseq ids.
 */
export class XlmRobertaSentencePiece implements TextToIds {
  private readonly normalizer: SentencePieceNormalizer;
  private readonly segmenter: UnigramSegmenter;
  /** `ModelInterface::PieceToId`: reserved (control/unknown/byte) pieces first, then the others. */
  private readonly reservedIds = new Map<string, number>();
  private readonly pieceIds = new Map<string, number>();
  private readonly fairseqIds: Map<string, number>;
  private readonly specialTokens: SpecialToken[];
  readonly vocabSize: number;

  constructor(private readonly model: SentencePieceModel) {
    const { pieces, trainerSpec } = model;
    if (trainerSpec.modelType !== 'unigram') {
      throw new UnsupportedSentencePieceModelError(
        `model type is ${trainerSpec.modelType}; only unigram models (XLM-R's) are supported`,
      );
    }
    if (trainerSpec.byteFallback) {
      throw new UnsupportedSentencePieceModelError('byte_fallback models are not supported (XLM-R does not use it)');
    }
    const layout = [
      [PieceType.Unknown, undefined],
      [PieceType.Control, '<s>'],
      [PieceType.Control, '</s>'],
    ] as const;
    layout.forEach(([type, text], id) => {
      const piece = pieces[id];
      if (!piece || piece.type !== type || (text !== undefined && piece.piece !== text)) {
        throw new UnsupportedSentencePieceModelError(
          `piece ${id} is ${JSON.stringify(piece?.piece)}; the fairseq id mapping of XLM-R needs <unk>, <s>, </s> at ids 0-2`,
        );
      }
    });
    pieces.forEach((piece, id) => {
      const isSegmentable =
        piece.type === PieceType.Normal || piece.type === PieceType.UserDefined || piece.type === PieceType.Unused;
      const ids = isSegmentable ? this.pieceIds : this.reservedIds;
      if (ids.has(piece.piece)) throw new UnsupportedSentencePieceModelError(`piece ${piece.piece} is defined twice`);
      ids.set(piece.piece, id);
    });

    const maskId = pieces.length + FAIRSEQ_OFFSET;
    this.fairseqIds = new Map([
      ['<s>', XLMR_BOS_ID],
      ['<pad>', XLMR_PAD_ID],
      ['</s>', XLMR_EOS_ID],
      ['<unk>', XLMR_UNK_ID],
      ['<mask>', maskId],
    ]);
    this.vocabSize = maskId + 1;
    // As transformers declares them: only <mask> strips (the whitespace on its left).
    this.specialTokens = [...this.fairseqIds.keys()].map((content) => ({
      content,
      lstrip: content === '<mask>',
      rstrip: false,
    }));
    this.normalizer = SentencePieceNormalizer.create(model.normalizerSpec, {
      treatWhitespaceAsSuffix: trainerSpec.treatWhitespaceAsSuffix,
      userDefinedSymbols: pieces.filter((piece) => piece.type === PieceType.UserDefined).map((piece) => piece.piece),
    });
    this.segmenter = new UnigramSegmenter(pieces);
  }

  /** The pieces SentencePiece produces for one stretch of text (no special-token handling). */
  encodeAsPieces(text: string): string[] {
    return this.segmenter.segment(this.normalizer.normalize(text)).map((segment) => segment.piece);
  }

  textToIds(text: string): number[] {
    const ids: number[] = [];
    for (const segment of splitOnSpecialTokens(text, this.specialTokens)) {
      if (segment.kind === 'special') ids.push(this.fairseqIds.get(segment.content)!);
      else for (const piece of this.encodeAsPieces(segment.text)) ids.push(this.pieceToId(piece));
    }
    return ids;
  }

  /** `XLMRobertaTokenizer._convert_token_to_id`: fairseq specials, else SentencePiece id + 1, unknown -> 3. */
  private pieceToId(piece: string): number {
    const special = this.fairseqIds.get(piece);
    if (special !== undefined) return special;
    const spmId = this.reservedIds.get(piece) ?? this.pieceIds.get(piece) ?? 0;
    return spmId !== 0 ? spmId + FAIRSEQ_OFFSET : XLMR_UNK_ID;
  }

  idToToken(id: number): string | undefined {
    for (const [token, specialId] of this.fairseqIds) if (specialId === id) return token;
    return this.model.pieces[id - FAIRSEQ_OFFSET]?.piece;
  }
}
