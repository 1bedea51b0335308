import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { buildTinyModelFolder, TINY_COMPONENTS } from '../../test/helpers/tiny-model-folder.js';
import { type LoadedComponent, loadComponent } from '../models/load-component.js';
import { loadClipTokenizer, loadXlmRobertaTokenizer } from '../tokenizers/index.js';
import { E2E_SCENARIOS } from '../verify/e2e-scenarios.js';
import { fixturesRoot, tinyFixtures } from '../verify/fixture-root.js';
import { checkWholeRun, type TinyModels } from '../verify/whole-run.js';

/**
 * Whole runs with the real converted tiny models and the reference's random draws injected, checked exactly as
 * `kandinsky verify` checks them (`verify/whole-run.ts`): every model call's inputs and outputs, every scheduler step
 * and the final image or embeddings, each within 1e-4 of its scale or 10x its measured float32 sensitivity where
 * that is larger (the tiny random-weight models amplify float32 noise through the loop and MoVQ: latents up to ~90,
 * MoVQ outputs up to ~140). Reached on wasm: <= 2.9e-5 relative (MoVQ outputs, against tolerances of 1.5e-4 to
 * 3e-4); final images <= 1.3e-4 (img2img, tolerance 2e-3: 10x its sensitivity 2e-4).
 */
let folder: { root: string; cleanup(): Promise<void> };
const components: Partial<Record<(typeof TINY_COMPONENTS)[number], LoadedComponent>> = {};
let models: TinyModels;

beforeAll(async () => {
  await useTestBackend();
  folder = await buildTinyModelFolder();
  for (const name of TINY_COMPONENTS) components[name] = await loadComponent(join(folder.root, name));
  models = {
    components: components as TinyModels['components'],
    clipTokenizer: await loadClipTokenizer(join(folder.root, 'prior_tokenizer')),
    xlmrTokenizer: await loadXlmRobertaTokenizer(join(folder.root, 'tokenizer')),
  };
});
afterAll(async () => {
  for (const c of Object.values(components)) c?.dispose();
  await folder?.cleanup();
});

describe(`whole-run parity with the real converted tiny models (fixtures: ${fixturesRoot()})`, () => {
  for (const scenario of E2E_SCENARIOS) {
    it(`${scenario.name}: ${scenario.title}`, async () => {
      const report = await checkWholeRun(scenario, models, tinyFixtures(), 'test');
      if (process.env.SHOW_ERRORS) {
        const worst = [...report.checks].sort((p, q) => q.error / q.tolerance - p.error / p.tolerance).slice(0, 3);
        console.log(scenario.name, JSON.stringify(worst.map((c) => [c.name, c.error, c.tolerance])));
      }
      expect(report.error).toBeUndefined();
      expect(report.checks.filter((c) => !c.pass)).toEqual([]);
      // Calls/order, the seed streams, and more than ten compared tensors.
      expect(report.checks.length).toBeGreaterThan(12);
      expect(report.pass).toBe(true);
    });
  }
});
