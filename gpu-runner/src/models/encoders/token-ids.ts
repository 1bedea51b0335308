import type * as tf from '@tensorflow/tfjs';

/** Bad encoder input (token ids out of range, too long a sequence, a mask that does not fit): the caller's error. */
export class EncoderInputError extends Error {
  override name = 'EncoderInputError';
}

/**
 * Checks a `[B, L]` token-id tensor before any compute: int32, at most `maxLength` long, every id in
 * `[0, vocabSize)`. An out-of-range id would otherwise be gathered silently (TF.js does not bound-check `gather`
 * on every backend). Reads the ids back to the host, which is cheap (B x 77 integers).
 */
export function checkTokenIds(ids: tf.Tensor, vocabSize: number, maxLength: number, where: string): void {
  if (ids.rank !== 2) throw new EncoderInputError(`${where}: input_ids must be [batch, length], got [${ids.shape}]`);
  if (ids.dtype !== 'int32') throw new EncoderInputError(`${where}: input_ids must be int32, got ${ids.dtype}`);
  const [batch, length] = ids.shape;
  if (length < 1) throw new EncoderInputError(`${where}: input_ids is empty`);
  if (length > maxLength) {
    throw new EncoderInputError(
      `${where}: sequence length ${length} exceeds the model's maximum of ${maxLength} tokens`,
    );
  }
  const values = ids.dataSync();
  for (let i = 0; i < values.length; i++) {
    const id = values[i];
    if (id < 0 || id >= vocabSize) {
      const row = Math.floor(i / length);
      throw new EncoderInputError(
        `${where}: input_ids[${row}][${i % length}] = ${id} is outside the vocabulary [0, ${vocabSize}) (batch ${batch})`,
      );
    }
  }
}

/** Checks an attention mask against its ids: same `[B, L]` shape, only 0/1 values, at least one token per row. */
export function checkAttentionMask(mask: tf.Tensor, ids: tf.Tensor | undefined, where: string): void {
  if (mask.rank !== 2)
    throw new EncoderInputError(`${where}: attention_mask must be [batch, length], got [${mask.shape}]`);
  if (ids && (ids.shape[0] !== mask.shape[0] || ids.shape[1] !== mask.shape[1])) {
    throw new EncoderInputError(`${where}: attention_mask [${mask.shape}] does not match input_ids [${ids.shape}]`);
  }
  const [batch, length] = mask.shape;
  const values = mask.dataSync();
  for (let b = 0; b < batch; b++) {
    let tokens = 0;
    for (let i = 0; i < length; i++) {
      const m = values[b * length + i];
      if (m !== 0 && m !== 1)
        throw new EncoderInputError(`${where}: attention_mask[${b}][${i}] = ${m}; expected 0 or 1`);
      tokens += m;
    }
    // The masked mean divides by the token count: an all-padding row would give NaN embeddings.
    if (tokens === 0) throw new EncoderInputError(`${where}: attention_mask row ${b} has no tokens`);
  }
}
