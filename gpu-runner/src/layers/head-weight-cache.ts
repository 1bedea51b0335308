import * as tf from '@tensorflow/tfjs';

/** One projection cut into per-head pieces: `weights[h]` is `[in, headDim]`, `biases[h]` is `[headDim]`. */
export interface HeadProjection {
  weights: tf.Tensor2D[];
  biases: tf.Tensor1D[];
}

/**
 * Per-head copies of a layer's projection weights (the column block of each head, optionally pre-multiplied by a
 * factor), derived once and kept until the layer's weights change or the layer is disposed.
 *
 * Why: on wasm, taking one head out of a projected `[N, heads·d]` tensor costs a transpose plus a copy of the whole
 * tensor per head (see `unstackLeading`); projecting with the head's own `[in, d]` weight block costs nothing extra
 * (the same multiply-adds in total) and XNNPACK packs each block once, as it does any weight.
 */
export class HeadWeightCache {
  private cached?: { sources: object[]; projections: Map<string, HeadProjection> };

  /**
   * The per-head projections of `specs` (name -> `[weight [in, heads·d], bias [heads·d], factor]`), rebuilt when any
   * source tensor has been replaced since the last call.
   */
  get(heads: number, specs: Record<string, [tf.Tensor, tf.Tensor, number]>): Map<string, HeadProjection> {
    const sources = Object.values(specs).flatMap(([w, b]) => [w.dataId, b.dataId]);
    const fresh =
      this.cached &&
      this.cached.sources.length === sources.length &&
      this.cached.sources.every((s, i) => s === sources[i]);
    if (fresh) return this.cached!.projections;
    this.dispose();
    const projections = new Map<string, HeadProjection>();
    for (const [name, [w, b, factor]] of Object.entries(specs)) {
      const split = tf.tidy(() => {
        const scaledW = factor === 1 ? w : tf.mul(w, factor);
        const scaledB = factor === 1 ? b : tf.mul(b, factor);
        return {
          weights: (heads === 1 ? [tf.clone(scaledW)] : tf.split(scaledW, heads, 1)) as tf.Tensor2D[],
          biases: (heads === 1 ? [tf.clone(scaledB)] : tf.split(scaledB, heads, 0)) as tf.Tensor1D[],
        };
      });
      // Created inside a model's tidy scope: keep them past it.
      for (const t of [...split.weights, ...split.biases]) tf.keep(t);
      projections.set(name, split);
    }
    this.cached = { sources, projections };
    return projections;
  }

  dispose(): void {
    if (!this.cached) return;
    for (const p of this.cached.projections.values()) tf.dispose([...p.weights, ...p.biases]);
    this.cached = undefined;
  }
}
