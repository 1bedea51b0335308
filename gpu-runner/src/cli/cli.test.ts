import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES } from '../../test/helpers/tensors.js';
import { buildRandomModel } from '../service/random-model/build-random-model.js';
import { main } from './main.js';

let dir: string;
let weights: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-'));
  weights = (await buildRandomModel(join(dir, 'random-model'))).dir;
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the CLI, capturing stdout and stderr. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describe('kandinsky CLI', () => {
  it('lists its commands and rejects unknown ones', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/convert .*\n.*weights .*\n.*generate/s);
    const bad = await run('paint');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown command "paint"/);
  });

  it('convert: writes a component and reports it; refuses a bad --dtype', async () => {
    const out = join(dir, 'movq-out');
    const ok = await run('convert', join(FIXTURES, 'movq', 'model'), out, '--dtype', 'float16');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/movq: VQModel -> encoder, quantizer, decoder \(1,089,743 parameters, float16\)/);
    expect(JSON.parse(await readFile(join(out, 'component.json'), 'utf8')).dtype).toBe('float16');
    const bad = await run('convert', join(FIXTURES, 'movq', 'model'), out, '--dtype', 'int8');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--dtype must be float32 or float16/);
  });

  it('generate: text to two PNGs of the requested size with seeds and parameters in the metadata', async () => {
    const out = join(dir, 'cat.png');
    const r = await run(
      'generate',
      'a red cat',
      '--weights',
      weights,
      '--out',
      out,
      '--size',
      '64x64',
      '--steps',
      '2',
      '--prior-steps',
      '2',
      '--seed',
      '7',
      '--n',
      '2',
      '--backend',
      'wasm',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/cat-1\.png: 64x64 image\/png seed 7\n.*cat-2\.png: 64x64 image\/png seed 8/);
    const png = PNG.sync.read(await readFile(join(dir, 'cat-2.png')));
    expect([png.width, png.height]).toEqual([64, 64]);
    const raw = (await readFile(join(dir, 'cat-2.png'))).toString('latin1');
    expect(raw).toContain('parameters');
    expect(raw).toContain('a red cat');
  });

  it('generate: clear errors for missing output, weights or fuse inputs', async () => {
    expect((await run('generate', 'x')).err).toMatch(/--out is required/);
    const saved = process.env.KANDINSKY_WEIGHTS;
    delete process.env.KANDINSKY_WEIGHTS;
    try {
      const r = await run('generate', 'x', '--out', join(dir, 'x.png'), '--backend', 'wasm');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no weights: pass --weights DIR/);
    } finally {
      if (saved !== undefined) process.env.KANDINSKY_WEIGHTS = saved;
    }
    const f = await run(
      'generate',
      '--task',
      'fuse',
      '--weight',
      '1',
      '--out',
      join(dir, 'f.png'),
      '--weights',
      weights,
    );
    expect(f.err).toMatch(/each --weight must follow a --text or --image/);
    const s = await run('generate', 'x', '--out', join(dir, 's.png'), '--size', 'big');
    expect(s.err).toMatch(/--size must look like 512x512/);
  });
});
