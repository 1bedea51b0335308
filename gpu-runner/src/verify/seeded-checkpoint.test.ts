import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../io/safetensors.js';
import { SeededNoise } from '../random/seeded-noise.js';
import { fullSeededFixtures } from './fixture-root.js';
import {
  SEEDED_CHUNK,
  type SeededManifest,
  seededChunks,
  type WeightCheck,
  writeSeededCheckpoint,
} from './seeded-checkpoint.js';

const MOVQ = join(fullSeededFixtures(), 'movq');
let dir: string;
let manifest: SeededManifest;
let check: WeightCheck;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seeded-'));
  manifest = JSON.parse(await readFile(join(MOVQ, 'manifest.json'), 'utf8'));
  check = JSON.parse(await readFile(join(MOVQ, 'weight_check.json'), 'utf8'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The first `n` keys of the full-size MoVQ manifest, with the reference statistics of exactly those keys. */
function firstKeys(n: number, edit?: (m: SeededManifest) => void) {
  const m: SeededManifest = { ...manifest, keys: manifest.keys.slice(0, n).map((k) => ({ ...k })) };
  edit?.(m);
  const stats = Object.fromEntries(m.keys.map((k) => [k.name, check.stats[k.name]]));
  return { m, c: { samples: check.samples, stats } };
}

describe('seeded full-size checkpoints', () => {
  it('draws a long key in chunks exactly as one draw (blocks of 16 are independent)', () => {
    const key = { name: 'w', shape: [SEEDED_CHUNK / 16 + 2, 16], seed: 42, offset: 1, scale: Math.fround(0.1) };
    const chunks = [...seededChunks(key)];
    expect(chunks.map((c) => c.length)).toEqual([SEEDED_CHUNK, 32]);
    const z = new SeededNoise(42).normalValues(SEEDED_CHUNK + 32);
    for (const i of [0, 1, SEEDED_CHUNK - 1, SEEDED_CHUNK, SEEDED_CHUNK + 31]) {
      const value = i < SEEDED_CHUNK ? chunks[0][i] : chunks[1][i - SEEDED_CHUNK];
      expect(value).toBe(Math.fround(Math.fround(z[i] * key.scale) + 1));
    }
  });

  it('regenerates the reference MoVQ weights (bit-level samples and per-key statistics) and writes a checkpoint', async () => {
    const samples = await readSafetensors(join(MOVQ, 'weight_samples.safetensors'));
    const { m, c } = firstKeys(3);
    const out = await writeSeededCheckpoint(m, join(dir, 'ok'), c, samples);
    expect(out.checks.map((r) => [r.name, r.pass])).toEqual([
      ['weights: every key regenerated', true],
      ['weights: sum of |w| per key', true],
      ['weights: max |w| per key', true],
      ['weights: bit-level samples', true],
    ]);
    // keys 0-2 are sampled in full: 3456 + 128 + 128 values compared with torch's.
    expect(out.checks[3].detail).toMatch(/^3712 sampled values/);
    const written = await readSafetensors(join(dir, 'ok', m.weights_file_name));
    expect([...written.keys()]).toEqual(m.keys.map((k) => k.name));
    expect(written.get(m.keys[0].name)!.shape).toEqual(m.keys[0].shape);
    expect(JSON.parse(await readFile(join(dir, 'ok', 'config.json'), 'utf8'))).toEqual(m.config);
  });

  it('fails the weight checks when a seed is not the reference’s', async () => {
    const samples = await readSafetensors(join(MOVQ, 'weight_samples.safetensors'));
    const { m, c } = firstKeys(3, (x) => {
      x.keys[0].seed += 1;
    });
    const out = await writeSeededCheckpoint(m, join(dir, 'bad'), c, samples);
    const failed = out.checks.filter((r) => !r.pass).map((r) => r.name);
    expect(failed).toEqual(['weights: sum of |w| per key', 'weights: max |w| per key', 'weights: bit-level samples']);
  });
});
