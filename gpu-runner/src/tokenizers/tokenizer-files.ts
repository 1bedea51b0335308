import { readFile } from 'node:fs/promises';
import { ModelFileError } from '../io/errors.js';

/**
 * Reads a tokenizer file, or returns `undefined` when it does not exist (so a loader can fall back to another
 * format). Any other read error is a `ModelFileError`.
 */
export async function readOptionalFile(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelFileError(`cannot read: ${(error as Error).message}`, path);
  }
}

/** A file's bytes as a plain Uint8Array view (no copy). */
export function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Decodes a UTF-8 text file, rejecting invalid UTF-8 instead of replacing it. */
export function asUtf8(buffer: Buffer, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(asBytes(buffer));
  } catch {
    throw new ModelFileError('is not valid UTF-8 text', path);
  }
}
