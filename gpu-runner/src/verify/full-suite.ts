/**
 * The full-size suite of `kandinsky verify --full`: the seven Kandinsky 2.1 components at their real sizes, with
 * weights regenerated from the seeded manifests (`kandinsky21-full-seeded/<name>`), written as a diffusers/
 * transformers checkpoint, converted by the real converter, loaded, and run through the pipelines' adapters on the
 * saved inputs. One component at a time: each is removed from memory and disk before the next.
 *
 * A component the active backend cannot hold (wasm: 4 GiB heap; the U-Nets are 4.9 GB and the prior 4.1 GB as
 * float32) runs on the pure-JS `cpu` backend instead, and its report says so.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { convertComponent } from '../convert/convert-component.js';
import { readSafetensors } from '../io/safetensors.js';
import { type LoadedComponent, loadComponent } from '../models/load-component.js';
import { currentBackend } from '../tf/backend.js';
import { budgetForBackend, DEFAULT_WASM_HEADROOM_BYTES } from '../tf/memory-budget.js';
import { runComponentCheck } from './component-check.js';
import type { ComponentReport } from './report.js';
import { type SeededManifest, type WeightCheck, writeSeededCheckpoint } from './seeded-checkpoint.js';
import { COMPONENT_CHECKS } from './tiny-suite.js';

/** The full-size components, cheapest first. */
export const FULL_COMPONENTS = [
  'movq',
  'prior_text_encoder',
  'image_encoder',
  'text_encoder',
  'unet',
  'unet_inpaint',
  'prior',
] as const;

export interface FullSuiteOptions {
  /** The full-size seeded set's folder. */
  set: string;
  /** Scratch folder (up to ~10 GB for a U-Net: its checkpoint and its converted copy); the caller removes it. */
  workDir: string;
  /** Only these components; default all seven. */
  only?: readonly string[];
  /**
   * Batch rows of the prior to run: 1 (row 0 against the fixture's `row0.*` reference; ~270 s on the pure-JS
   * backend) or 2. Default: 1 on the wasm/cpu backends, 2 on tfjs-node(-gpu).
   */
  priorRows?: 1 | 2;
  onReport?: (report: ComponentReport) => void;
  /** Progress lines (phase by phase: a full-size component takes minutes on slow backends). */
  log?: (line: string) => void;
}

const GiB = 1024 ** 3;

/** Runs the full-size suite and returns one report per component. */
export async function runFullSuite(opts: FullSuiteOptions): Promise<ComponentReport[]> {
  const reports: ComponentReport[] = [];
  const active = currentBackend();
  const activeName = tf.getBackend();
  for (const name of FULL_COMPONENTS.filter((n) => !opts.only || opts.only.includes(n))) {
    const report = await runFullComponent(name, opts, active?.memoryLimitBytes ?? Number.POSITIVE_INFINITY);
    if (tf.getBackend() !== activeName) await tf.setBackend(activeName);
    reports.push(report);
    opts.onReport?.(report);
  }
  return reports;
}

async function runFullComponent(name: string, opts: FullSuiteOptions, memoryLimit: number): Promise<ComponentReport> {
  const check = COMPONENT_CHECKS.find((c) => c.name === name)!;
  const dir = join(opts.set, name);
  const work = join(opts.workDir, 'full', name);
  const log = (line: string) => opts.log?.(`${name}: ${line}`);
  const report: ComponentReport = {
    set: 'full',
    name,
    kind: 'component',
    backend: tf.getBackend(),
    memory: {},
    seconds: {},
    checks: [],
    pass: false,
  };
  let component: LoadedComponent | undefined;
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as SeededManifest;
    const weightCheck = JSON.parse(await readFile(join(dir, 'weight_check.json'), 'utf8')) as WeightCheck;
    const samples = await readSafetensors(join(dir, 'weight_samples.safetensors'));
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
    const parameters = manifest.keys.reduce((a, k) => a + k.shape.reduce((x, y) => x * y, 1), 0);
    report.parameters = parameters;
    const budget = budgetForBackend(memoryLimit);
    if (parameters * 4 + DEFAULT_WASM_HEADROOM_BYTES > budget.limitBytes) {
      report.note = `${tf.getBackend()} holds at most ${(budget.limitBytes / GiB).toFixed(0)} GiB; these weights are ${((parameters * 4) / GiB).toFixed(2)} GiB`;
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
      report.backend = 'cpu';
    }
    log(`regenerating ${parameters.toLocaleString('en-US')} weights from ${manifest.keys.length} seeds`);
    const checkpoint = await writeSeededCheckpoint(manifest, join(work, 'checkpoint'), weightCheck, samples);
    report.seconds.regenerate = checkpoint.regenerateSeconds;
    report.seconds.write = checkpoint.writeSeconds;
    report.checks.push(...checkpoint.checks);

    log('converting');
    let start = performance.now();
    await convertComponent(checkpoint.dir, join(work, 'converted'));
    report.seconds.convert = (performance.now() - start) / 1000;
    await rm(checkpoint.dir, { recursive: true, force: true });

    log(`loading on ${report.backend}`);
    start = performance.now();
    component = await loadComponent(join(work, 'converted'), {
      budget: report.backend === 'cpu' ? undefined : budget,
    });
    report.seconds.load = (performance.now() - start) / 1000;
    report.memory.weightBytes = component.weightBytes;

    const backend = report.backend;
    const rows = opts.priorRows ?? (backend === 'cpu' || backend === 'wasm' ? 1 : 2);
    log(`running${name === 'prior' ? ` (${rows} row${rows > 1 ? 's' : ''})` : ''}`);
    const inputs = await readSafetensors(join(dir, 'inputs.safetensors'));
    const outputs = await readSafetensors(join(dir, 'outputs.safetensors'));
    const run = await runComponentCheck(check, component, inputs, outputs, { set: 'full', dir, meta, rows });
    report.seconds.run = run.seconds;
    report.memory.peakBytes = run.peakBytes;
    const floor = (meta['perturbation_1e-6_rel'] ?? {}) as Record<string, number>;
    for (const r of run.checks) {
      const reference = floor[r.name.replace(/^row0\./, '')];
      if (reference !== undefined) {
        r.detail = [r.detail, `reference's own 1e-6 sensitivity ${reference.toExponential(2)}`]
          .filter(Boolean)
          .join('; ');
      }
    }
    report.checks.push(...run.checks);
    if (name === 'prior' && rows === 1) report.note = [report.note, 'row 0 only'].filter(Boolean).join('; ');
  } catch (err) {
    report.error = (err as Error).message;
  } finally {
    component?.dispose();
    await rm(work, { recursive: true, force: true });
  }
  report.pass = !report.error && report.checks.length > 0 && report.checks.every((c) => c.pass);
  return report;
}
