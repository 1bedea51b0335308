import type { TorchLayout } from '../layers/module-layer.js';

/** Reorders a checkpoint tensor (PyTorch layout) into ours, on the host, without TF.js. */
export function toOurLayout(data: Float32Array, torchShape: number[], layout: TorchLayout): Float32Array {
  if (layout === 'plain') return data;
  if (layout === 'linear') {
    const [o, i] = torchShape;
    const out = new Float32Array(data.length);
    for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) out[c * o + r] = data[r * i + c];
    return out;
  }
  // conv2d: [O, I, KH, KW] -> [KH, KW, I, O]
  const [o, i, kh, kw] = torchShape;
  const out = new Float32Array(data.length);
  let src = 0;
  for (let a = 0; a < o; a++) {
    for (let b = 0; b < i; b++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = data[src++];
      }
    }
  }
  return out;
}

/** Concatenates equally shaped host tensors along `axis`. */
export function concatHost(parts: Float32Array[], partShape: number[], axis: number): Float32Array {
  const outer = partShape.slice(0, axis).reduce((a, b) => a * b, 1);
  const chunk = partShape.slice(axis).reduce((a, b) => a * b, 1);
  const out = new Float32Array(chunk * outer * parts.length);
  let dst = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      out.set(p.subarray(o * chunk, (o + 1) * chunk), dst);
      dst += chunk;
    }
  }
  return out;
}
