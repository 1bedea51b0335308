import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { TokenizedBatch } from '../../src/tokenizers/types.js';
import { SHIPPED_FIXTURES, tinyFixtures } from '../../src/verify/fixture-root.js';

// The harness's reference cases run on the active tiny set's tokenizer (KANDINSKY_FIXTURES moves both); the
// extended cases were made for the shipped tiny vocabulary and use it.
/** The active tiny set's tokenizers and their `cases.json`. */
export const REFERENCE = join(tinyFixtures(), 'tokenizers');
/** The shipped tiny set's tokenizers, which the extended cases were made for. */
export const SHIPPED = join(SHIPPED_FIXTURES, 'kandinsky21-tiny', 'tokenizers');
const EXTENDED = fileURLToPath(new URL('../fixtures/tokenizers', import.meta.url));

/** One reference tokenization from transformers: ids and mask, and the tokens where the harness recorded them. */
export interface ReferenceCase {
  text: string;
  input_ids: number[];
  attention_mask: number[];
  tokens?: string[];
}

/** The reference cases of the active tiny set (`cases.json`), typed by the caller. */
export function readReferenceCases<T>(): T {
  return JSON.parse(readFileSync(join(REFERENCE, 'cases.json'), 'utf8')) as T;
}

/** More reference cases: transformers' tokenization code run by make_extended_cases.py (see the fixture README). */
export function readExtendedCases<T>(): T {
  return JSON.parse(readFileSync(join(EXTENDED, 'extended_cases.json'), 'utf8')) as T;
}

/** Expects the batch's first row to carry the reference's ids and attention mask. */
export function expectFirstRow(batch: TokenizedBatch, reference: ReferenceCase): void {
  expect(Array.from(batch.inputIds[0])).toEqual(reference.input_ids);
  expect(Array.from(batch.attentionMask[0])).toEqual(reference.attention_mask);
}

/** Expects every row of the batch to carry its reference case's ids and attention mask, in order. */
export function expectEveryRow(batch: TokenizedBatch, references: ReferenceCase[]): void {
  expect(batch.inputIds.map((row) => Array.from(row))).toEqual(references.map((c) => c.input_ids));
  expect(batch.attentionMask.map((row) => Array.from(row))).toEqual(references.map((c) => c.attention_mask));
}
