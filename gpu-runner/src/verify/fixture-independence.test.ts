import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { FIXTURES_ENV, SHIPPED_FIXTURES, TINY_SET } from './fixture-root.js';
import { runVerify } from './run-verify.js';

/**
 * The parity checks take their prompts, seeds and settings from the fixture set they are pointed at. No second set
 * made by the reference harness exists in this repository (making one needs PyTorch), so this points
 * KANDINSKY_FIXTURES at a copy of the shipped tiny set, first unchanged (everything passes: the copy is what is read),
 * then with the prompts and a seed in its metadata changed while the recorded tensors stay: the checks that depend
 * on them must now fail, in `kandinsky verify` and in the vitest parity suites alike.
 */
const ALTERED_PROMPT = 'a blue dog on a green sofa';
const ALTERED_SEED = 5;
let copy: string;
let altered: string;

async function editJson(path: string, edit: (v: Record<string, unknown>) => void): Promise<void> {
  const value = JSON.parse(await readFile(path, 'utf8'));
  edit(value);
  await writeFile(path, JSON.stringify(value));
}

beforeAll(async () => {
  await useTestBackend();
  const base = await mkdtemp(join(tmpdir(), 'fixture-independence-'));
  copy = join(base, 'copy');
  altered = join(base, 'altered');
  for (const root of [copy, altered])
    await cp(join(SHIPPED_FIXTURES, TINY_SET), join(root, TINY_SET), { recursive: true });
  const set = join(altered, TINY_SET);
  await editJson(join(set, 'text_encoder', 'meta.json'), (m) => {
    (m.prompts as string[])[0] = ALTERED_PROMPT;
  });
  await editJson(join(set, 'e2e_text2img', 'trace.json'), (m) => {
    m.prompt = ALTERED_PROMPT;
    (m.prior as Record<string, unknown>).generator_seed = ALTERED_SEED;
  });
}, 120_000);
afterAll(() => rm(join(copy, '..'), { recursive: true, force: true }));

describe('fixture independence (KANDINSKY_FIXTURES)', () => {
  it('kandinsky verify reads the set it is pointed at: an unchanged copy passes', async () => {
    const report = await runVerify({ env: { [FIXTURES_ENV]: copy }, only: ['text_encoder', 'e2e_text2img'] });
    expect(report.fixtures).toBe(copy);
    expect(report.components.map((c) => [c.name, c.pass])).toEqual([
      ['text_encoder', true],
      ['e2e_text2img', true],
    ]);
  });

  it('…and follows its metadata: altered prompts and seed fail exactly the checks that use them', async () => {
    const report = await runVerify({ env: { [FIXTURES_ENV]: altered }, only: ['text_encoder', 'e2e_text2img'] });
    expect(report.pass).toBe(false);
    const failed = (name: string) =>
      report.components
        .find((c) => c.name === name)!
        .checks.filter((r) => !r.pass)
        .map((r) => r.name);
    // The tokenizer turns the metadata's prompts into ids that are no longer the recorded ones.
    expect(failed('text_encoder')).toEqual(['input_ids from meta.prompts', 'attention_mask from meta.prompts']);
    const run = failed('e2e_text2img');
    // The prior's draws no longer come from the metadata's seed; the decoder's (seed unchanged) still do.
    expect(run).toContain(`prior draws from generator_seed ${ALTERED_SEED}`);
    expect(run).not.toContain('decoder draws from generator_seed 0');
    // The altered prompt reaches both text encoders: their inputs differ from the recorded calls.
    expect(run).toContain('prior.text_encoder.000.arg0');
    expect(run).toContain('decoder.text_encoder.000.input_ids');
  });

  it('the vitest parity suites read it too (a child vitest run with KANDINSKY_FIXTURES set)', () => {
    const runSuites = (root: string) => {
      const out = join(root, 'results.json');
      spawnSync(
        process.execPath,
        [
          join(import.meta.dirname, '../../../node_modules/vitest/vitest.mjs'),
          'run',
          'src/random/seeded-noise.test.ts',
          'src/pipelines/pipelines.replay.test.ts',
          '-t',
          'e2e_text2img',
          '--reporter=json',
          `--outputFile=${out}`,
        ],
        { cwd: join(import.meta.dirname, '../..'), env: { ...process.env, [FIXTURES_ENV]: root }, encoding: 'utf8' },
      );
      return out;
    };
    const failedTests = async (out: string) => {
      const results = JSON.parse(await readFile(out, 'utf8')) as {
        testResults: { assertionResults: { title: string; status: string }[] }[];
      };
      const all = results.testResults.flatMap((f) => f.assertionResults);
      return {
        ran: all.filter((t) => t.status !== 'skipped').length,
        failed: all.filter((t) => t.status === 'failed').map((t) => t.title),
      };
    };
    return (async () => {
      const unchanged = await failedTests(runSuites(copy));
      expect(unchanged.ran).toBeGreaterThanOrEqual(4);
      expect(unchanged.failed).toEqual([]);
      const changed = await failedTests(runSuites(altered));
      expect(changed.failed.sort()).toEqual([
        'e2e_text2img: prior (negative: zero-image embedding) then DDIM decoder',
        'reproduces every recorded draw of e2e_text2img from the seeds in its trace.json',
      ]);
    })();
  }, 300_000);
});
