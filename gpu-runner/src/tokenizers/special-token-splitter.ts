/** A special token as transformers' `AddedToken` describes it (only the flags the reference tokenizers use). */
export interface SpecialToken {
  content: string;
  /** The token swallows whitespace on its left (XLM-R's `<mask>`). */
  lstrip: boolean;
  /** The token swallows whitespace on its right. */
  rstrip: boolean;
}

/** A stretch of prompt text, or a special token written literally in the prompt. */
export type TextSegment = { kind: 'text'; text: string } | { kind: 'special'; content: string };

/** Python's `str.isspace()` characters, which `str.strip()` removes (differs from JavaScript's `trim()`). */
const PY_SPACE = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_PY_SPACE = new RegExp(`^[${PY_SPACE}]+`);
const TRAILING_PY_SPACE = new RegExp(`[${PY_SPACE}]+$`);

/**
 * Splits a prompt around special tokens written in it, the way transformers' slow tokenizers do before running the
 * model's own tokenizer (`PreTrainedTokenizer.tokenize`: `tokens_trie.split`, then each token's lstrip/rstrip).
 * So "a <|endoftext|> b" gives the real end-of-text id in the middle, exactly as the reference does; each text
 * segment is then tokenized on its own.
 *
 * Matching is leftmost-longest and case-sensitive. (transformers' trie also resolves overlapping tokens; none of the
 * special tokens of CLIP or XLM-R is a prefix or infix of another, so leftmost-longest is the same here.)
 */
export function splitOnSpecialTokens(text: string, specials: readonly SpecialToken[]): TextSegment[] {
  const segments: TextSegment[] = [];
  let textStart = 0;
  let pos = 0;
  while (pos < text.length) {
    let match: SpecialToken | undefined;
    for (const special of specials) {
      if ((!match || special.content.length > match.content.length) && text.startsWith(special.content, pos)) {
        match = special;
      }
    }
    if (!match) {
      pos++;
      continue;
    }
    if (pos > textStart) segments.push({ kind: 'text', text: text.slice(textStart, pos) });
    segments.push({ kind: 'special', content: match.content });
    pos += match.content.length;
    textStart = pos;
  }
  if (textStart < text.length) segments.push({ kind: 'text', text: text.slice(textStart) });

  const byContent = new Map(specials.map((special) => [special.content, special]));
  segments.forEach((segment, i) => {
    if (segment.kind !== 'special') return;
    const special = byContent.get(segment.content)!;
    const left = segments[i - 1];
    const right = segments[i + 1];
    if (special.rstrip && right?.kind === 'text') right.text = right.text.replace(LEADING_PY_SPACE, '');
    if (special.lstrip && left?.kind === 'text') left.text = left.text.replace(TRAILING_PY_SPACE, '');
  });
  return segments.filter((segment) => segment.kind === 'special' || segment.text !== '');
}
