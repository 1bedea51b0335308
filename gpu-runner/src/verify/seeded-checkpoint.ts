/**
 * Full-size checkpoints without shipping weights: the full-size seeded fixtures (`kandinsky21-full-seeded/<name>`)
 * hold a `manifest.json` that gives every weight of the real component as a seeded draw, and this module writes the
 * diffusers/transformers checkpoint folder it describes (`config.json` + the weights file under its library's name),
 * so the real converter and loader can run on it.
 *
 * The rule (the set's README): key `i` gets `z = torch.randn(max(numel, 16), generator=manual_seed(seed))[:numel]`
 * on the CPU generator, then `value = fp32(fp32(z · scale) + offset)`. `SeededNoise` draws `z` (see its notes on
 * which PyTorch kernel it follows). Values stream to disk in chunks, so a 4.9 GB U-Net never sits in memory whole.
 * While writing, every key's float64 `sum_abs` and `abs_max` and the bit-level samples are compared with the
 * reference's (`weight_check.json`, `weight_samples.safetensors`): that checks the regeneration on its own, before
 * any model runs.
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostTensor } from '../io/safetensors.js';
import { SeededNoise } from '../random/seeded-noise.js';
import type { CheckResult } from './report.js';

/** One weight of a seeded manifest. */
export interface SeededKey {
  name: string;
  shape: number[];
  seed: number;
  /** 0 or 1. */
  offset: number;
  /** Already a float32 value, written as a double. */
  scale: number;
}

/** `manifest.json` of a full-size seeded component. */
export interface SeededManifest {
  component: string;
  config: Record<string, unknown>;
  weights_file_name: string;
  dtype: 'float32';
  keys: SeededKey[];
}

/** `weight_check.json`: per-key float64 statistics of the reference's float32 weights. */
export interface WeightCheck {
  samples: string[];
  stats: Record<string, { sum: number; sum_abs: number; abs_max: number }>;
}

/** Values drawn per chunk (a multiple of 16, so chunked draws equal one draw: each block of 16 is independent). */
export const SEEDED_CHUNK = 1 << 22;
/** Values in a `head.` / `tail.` sample. */
const SAMPLE = 4096;

/** Tolerances of the regeneration checks: a regenerated value may differ from torch's by a few float32 ulp. */
export const WEIGHT_TOLERANCES = {
  /** Relative difference of a key's sum of absolute values (measured: <= 8e-8). */
  sumAbs: 1e-6,
  /** Difference of a key's largest absolute value, relative to max(1, it) (measured: <= 2.4e-7). */
  absMax: 1e-6,
  /** Largest difference of a sampled value, relative to max(1, |value|) (measured: <= 1.2e-7, 4 ulp). */
  samples: 1e-6,
};

/**
 * One weight-statistic check: passes when the worst `error` is within its {@link WEIGHT_TOLERANCES} entry (a NaN
 * error fails) and `precondition` holds.
 */
function weightCheck(
  name: string,
  metric: keyof typeof WEIGHT_TOLERANCES,
  error: number,
  rule: string,
  detail: string,
  precondition = true,
): CheckResult {
  const tolerance = WEIGHT_TOLERANCES[metric];
  return { name, error, tolerance, rule, pass: precondition && error <= tolerance, detail };
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A key's values in chunks (the whole key at once when it cannot be split exactly). */
export function* seededChunks(key: SeededKey): Generator<Float32Array> {
  const n = numel(key.shape);
  const noise = new SeededNoise(key.seed);
  const scale = Math.fround(key.scale);
  const offset = Math.fround(key.offset);
  const finish = (z: Float32Array) => {
    const out = new Float32Array(z.length);
    for (let i = 0; i < z.length; i++) out[i] = Math.fround(Math.fround(z[i] * scale) + offset);
    return out;
  };
  if (n < 16 || n % 16 !== 0) {
    // One draw of max(n, 16) values, keeping the first n (a non-multiple of 16 redraws its tail block).
    yield finish(noise.normalValues(Math.max(n, 16)).subarray(0, n));
    return;
  }
  for (let done = 0; done < n; done += SEEDED_CHUNK) yield finish(noise.normalValues(Math.min(SEEDED_CHUNK, n - done)));
}

/** Timings and regeneration checks of {@link writeSeededCheckpoint}. */
export interface SeededCheckpointResult {
  dir: string;
  parameters: number;
  regenerateSeconds: number;
  writeSeconds: number;
  checks: CheckResult[];
}

/**
 * Writes `manifest` as a checkpoint folder in `dir` (`config.json` and `manifest.weights_file_name`, a safetensors
 * file with the keys in manifest order) and checks the regenerated values against `check` and `samples`.
 */
export async function writeSeededCheckpoint(
  manifest: SeededManifest,
  dir: string,
  check: WeightCheck,
  samples: Map<string, HostTensor>,
): Promise<SeededCheckpointResult> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(manifest.config, null, 2)}\n`);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const key of manifest.keys) {
    const bytes = numel(key.shape) * 4;
    header[key.name] = { dtype: 'F32', shape: key.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));

  const worst = { sumAbs: 0, sumAbsKey: '', absMax: 0, absMaxKey: '', samples: 0, sampleKey: '', sampled: 0 };
  const missing: string[] = [];
  let regenerate = 0;
  let write = 0;
  const handle = await open(join(dir, manifest.weights_file_name), 'w');
  try {
    let t = performance.now();
    await handle.write(length);
    await handle.write(headerBytes);
    write += performance.now() - t;
    for (const key of manifest.keys) {
      const n = numel(key.shape);
      const full = samples.get(`full.${key.name}`);
      const headRef = samples.get(`head.${key.name}`);
      const tailRef = samples.get(`tail.${key.name}`);
      let sumAbs = 0;
      let absMax = 0;
      let position = 0;
      let tail = new Float32Array(0);
      const compare = (values: Float32Array, ref: HostTensor, at: number) => {
        for (let i = 0; i < ref.data.length; i++) {
          const r = ref.data[i];
          const d = Math.abs(values[at + i] - r) / Math.max(1, Math.abs(r));
          if (d > worst.samples || Number.isNaN(d)) [worst.samples, worst.sampleKey] = [d, key.name];
        }
        worst.sampled += ref.data.length;
      };
      t = performance.now();
      for (const chunk of seededChunks(key)) {
        for (let i = 0; i < chunk.length; i++) {
          const v = chunk[i];
          sumAbs += Math.abs(v);
          if (Math.abs(v) > absMax) absMax = Math.abs(v);
        }
        if (full && position === 0 && chunk.length === n) compare(chunk, full, 0);
        if (headRef && position === 0) compare(chunk, headRef, 0);
        if (tailRef) {
          const joined = new Float32Array(tail.length + chunk.length);
          joined.set(tail);
          joined.set(chunk, tail.length);
          tail = joined.slice(Math.max(0, joined.length - SAMPLE));
        }
        position += chunk.length;
        regenerate += performance.now() - t;
        t = performance.now();
        await handle.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        write += performance.now() - t;
        t = performance.now();
      }
      if (tailRef) compare(tail, tailRef, tail.length - tailRef.data.length);
      const ref = check.stats[key.name];
      if (!ref) {
        missing.push(key.name);
        continue;
      }
      const dSumAbs = Math.abs(sumAbs - ref.sum_abs) / Math.max(Number.MIN_VALUE, ref.sum_abs);
      if (dSumAbs > worst.sumAbs || Number.isNaN(dSumAbs)) [worst.sumAbs, worst.sumAbsKey] = [dSumAbs, key.name];
      const dAbsMax = Math.abs(absMax - ref.abs_max) / Math.max(1, ref.abs_max);
      if (dAbsMax > worst.absMax || Number.isNaN(dAbsMax)) [worst.absMax, worst.absMaxKey] = [dAbsMax, key.name];
      regenerate += performance.now() - t;
    }
  } finally {
    await handle.close();
  }
  const keys = manifest.keys.length;
  const statKeys = Object.keys(check.stats).length;
  const checks: CheckResult[] = [
    {
      name: 'weights: every key regenerated',
      error: missing.length + Math.abs(statKeys - keys),
      tolerance: 0,
      rule: 'exact',
      pass: missing.length === 0 && statKeys === keys,
      detail: missing.length
        ? `no reference statistics for ${missing.slice(0, 3).join(', ')}`
        : `${keys} keys (weight_check.json lists ${statKeys})`,
    },
    weightCheck(
      'weights: sum of |w| per key',
      'sumAbs',
      worst.sumAbs,
      'relative, a few float32 ulp',
      `worst ${worst.sumAbsKey}`,
    ),
    weightCheck(
      'weights: max |w| per key',
      'absMax',
      worst.absMax,
      'relative to max(1, max|w|)',
      `worst ${worst.absMaxKey}`,
    ),
    weightCheck(
      'weights: bit-level samples',
      'samples',
      worst.samples,
      'relative to max(1, |w|)',
      `${worst.sampled} sampled values${worst.sampleKey ? `, worst ${worst.sampleKey}` : ''}`,
      // No sampled value at all would pass vacuously.
      worst.sampled > 0,
    ),
  ];
  return {
    dir,
    parameters: manifest.keys.reduce((a, k) => a + numel(k.shape), 0),
    regenerateSeconds: regenerate / 1000,
    writeSeconds: write / 1000,
    checks,
  };
}
