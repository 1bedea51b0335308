import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES } from '../../test/helpers/tensors.js';
import { buildRandomModel } from '../service/random-model/build-random-model.js';
import { perturbKernel } from '../verify/fault-injection.js';
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
    const ok = await run('convert', join(FIXTURES, 'hub', 'reference-movq'), out, '--dtype', 'float16');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/movq: VQModel -> encoder, quantizer, decoder \(1,089,743 parameters, float16\)/);
    expect(JSON.parse(await readFile(join(out, 'component.json'), 'utf8')).dtype).toBe('float16');
    const bad = await run('convert', join(FIXTURES, 'hub', 'reference-movq'), out, '--dtype', 'int8');
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

  describe('verify', () => {
    // This fork already runs wasm on one thread (generate above); threads are fixed per process.
    const saved = process.env.KANDINSKY_WASM_THREADS;
    beforeAll(() => {
      process.env.KANDINSKY_WASM_THREADS = '1';
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.KANDINSKY_WASM_THREADS;
      else process.env.KANDINSKY_WASM_THREADS = saved;
    });

    it('prints the backend, every check with its error and tolerance, and PASS; exit 0', async () => {
      const r = await run('verify', '--only', 'movq,e2e_inpaint', '--backend', 'wasm');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^kandinsky verify: backend wasm \(tfjs wasm, 1 thread\); fixtures \S+; sets tiny$/m);
      expect(r.out).toMatch(
        /^PASS tiny movq \[wasm\] 1,089,743 parameters, convert .* run .*; weights 4\.2 MiB, peak/m,
      );
      expect(r.out).toMatch(/^ {2}ok {3}decode_force_not_quantize\.sample {2}error \S+ {2}tolerance \S+ \(/m);
      expect(r.out).toMatch(/^PASS tiny e2e_inpaint \[wasm\] run/m);
      expect(r.out).toMatch(/^verify: PASS, \d+ checks on 2 components and traces/m);
    });

    it('--json prints the whole report', async () => {
      const r = await run('verify', '--only', 'prior', '--json');
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out);
      expect(report).toMatchObject({ pass: true, sets: ['tiny'], failed: 0, backend: { choice: 'wasm', threads: 1 } });
      expect(report.components[0].checks.map((c: { name: string }) => c.name)).toEqual([
        'predicted_image_embedding',
        'post_process_latents',
      ]);
    });

    it('exits 1 and says FAIL when a kernel computes something else', async () => {
      const restore = perturbKernel('Softmax', { backend: 'wasm' });
      try {
        const r = await run('verify', '--only', 'prior');
        expect(r.code).toBe(1);
        expect(r.out).toMatch(/^FAIL tiny prior/m);
        expect(r.out).toMatch(/^ {2}FAIL predicted_image_embedding {2}error/m);
        expect(r.out).toMatch(/^verify: FAIL, 1 of 2 checks failed/m);
      } finally {
        restore();
      }
    });

    it('rejects bad options with exit 2', async () => {
      expect((await run('verify', '--prior-rows', '3')).code).toBe(2);
      expect((await run('verify', '--no-tiny')).err).toMatch(/--no-tiny leaves nothing to run without --full/);
      const none = await run('verify', '--only', 'nothing');
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/no such component or trace/);
    });
  });
});
