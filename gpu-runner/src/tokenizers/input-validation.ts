import { TokenizerError } from './errors.js';

/** Default for `TokenizerLoadOptions.maxPromptChars`. */
export const DEFAULT_MAX_PROMPT_CHARS = 4000;

/**
 * Checks one prompt before tokenization: it must be a string, well-formed UTF-16 (no lone surrogate, which has no
 * UTF-8 encoding and would silently become U+FFFD), and at most `maxPromptChars` UTF-16 code units long.
 * `index` is the prompt's position in the batch, for the message.
 */
export function validatePrompt(text: unknown, index: number, maxPromptChars: number): asserts text is string {
  if (typeof text !== 'string') {
    const got = text === null ? 'null' : Array.isArray(text) ? 'an array' : typeof text;
    throw new TokenizerError('invalid-text', `prompt ${index} must be a string, got ${got}`);
  }
  if (text.length > maxPromptChars) {
    throw new TokenizerError(
      'prompt-too-long',
      `prompt ${index} has ${text.length} characters; the limit is ${maxPromptChars}`,
    );
  }
  const surrogate = findLoneSurrogate(text);
  if (surrogate >= 0) {
    const unit = text.charCodeAt(surrogate).toString(16).toUpperCase();
    throw new TokenizerError(
      'invalid-text',
      `prompt ${index} is not valid Unicode text: lone surrogate U+${unit} at position ${surrogate}`,
    );
  }
}

/** Index of the first unpaired UTF-16 surrogate in `text`, or -1. */
export function findLoneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}
