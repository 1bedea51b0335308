/**
 * CLIP's text clean-up as transformers runs it when `ftfy` is not installed (the reference harness's case):
 * `BasicTokenizer(do_lower_case=True, strip_accents=False, do_split_on_punc=False).tokenize(text)`, joined by single
 * spaces. In order: drop NUL, U+FFFD and every character of Unicode category C* (control, format, surrogate,
 * private use, unassigned) except tab/CR/LF; turn tab/CR/LF and Zs spaces into a space; put spaces around CJK
 * ideographs; NFC; split on whitespace; lowercase each word. Accents are kept and punctuation is not split off.
 */
export function cleanClipText(text: string): string {
  let cleaned = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    if (codePoint === 0 || codePoint === 0xfffd || isControl(char)) continue;
    if (isWhitespace(char)) cleaned += ' ';
    else if (isCjkIdeograph(codePoint)) cleaned += ` ${char} `;
    else cleaned += char;
  }
  return cleaned
    .normalize('NFC')
    .split(PYTHON_WHITESPACE)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase())
    .join(' ');
}

/** `str.split()`'s separators: Python's `str.isspace()` characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Python's str.isspace() includes \x1c-\x1f.
const PYTHON_WHITESPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** transformers `_is_whitespace`. */
function isWhitespace(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\r' || /^\p{Zs}$/u.test(char);
}

/** transformers `_is_control`: any C* category except tab/LF/CR (which count as whitespace). */
function isControl(char: string): boolean {
  if (char === '\t' || char === '\n' || char === '\r') return false;
  return /^\p{C}$/u.test(char);
}

/** transformers `BasicTokenizer._is_chinese_char`: the CJK Unified Ideographs blocks (not kana or hangul). */
function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
