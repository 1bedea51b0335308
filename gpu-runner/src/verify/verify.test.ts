import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { perturbKernel } from './fault-injection.js';
import { formatReport } from './report.js';
import { runVerify } from './run-verify.js';
import { firstFailure } from './startup-check.js';

describe('kandinsky verify, tiny suite (the runner’s start-up check)', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('passes on the test backend: seven components and seven whole-pipeline traces, every check within tolerance', async () => {
    const report = await runVerify();
    if (!report.pass) console.log(formatReport(report));
    expect(report.components.map((c) => c.name)).toEqual([
      'prior_text_encoder',
      'prior',
      'image_encoder',
      'text_encoder',
      'unet',
      'unet_inpaint',
      'movq',
      'e2e_text2img',
      'e2e_text2img_negprompt',
      'e2e_text2img_ddpm',
      'e2e_img2img',
      'e2e_inpaint',
      'e2e_combined',
      'e2e_prior_interpolate',
    ]);
    expect(report.components.filter((c) => !c.pass).map((c) => c.name)).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.checks).toBeGreaterThan(400);
    expect(report.pass).toBe(true);
    for (const c of report.components.filter((c) => c.kind === 'component')) {
      expect(c.memory.peakBytes, c.name).toBeGreaterThanOrEqual(c.memory.weightBytes!);
      expect(c.seconds.run, c.name).toBeGreaterThan(0);
    }
    // MoVQ's decoder and every whole run carry a measured sensitivity.
    const movq = report.components.find((c) => c.name === 'movq')!;
    expect(movq.checks.find((r) => r.name === 'decode_force_not_quantize.sample')!.sensitivity).toBeGreaterThan(0);
    expect(formatReport(report)).toMatch(/^verify: PASS, \d+ checks on 14 components and traces/m);
  });

  it('fails when one kernel is wrong (Softmax outputs off by 1e-3), naming the checks that broke', async () => {
    const restore = perturbKernel('Softmax', { relative: 1e-3 });
    try {
      const report = await runVerify({ only: ['prior', 'movq', 'e2e_prior_interpolate'] });
      expect(report.pass).toBe(false);
      const failed = report.components.filter((c) => !c.pass).map((c) => c.name);
      expect(failed).toEqual(['prior', 'movq', 'e2e_prior_interpolate']);
      const prior = report.components.find((c) => c.name === 'prior')!;
      const bad = prior.checks.find((r) => r.name === 'predicted_image_embedding')!;
      expect(bad.pass).toBe(false);
      expect(bad.error).toBeGreaterThan(bad.tolerance);
      expect(firstFailure(report)).toMatch(/^tiny prior predicted_image_embedding: error \S+ > tolerance 1\.00e-4$/);
    } finally {
      restore();
    }
    // Restored, the same checks pass again.
    expect((await runVerify({ only: ['prior', 'movq'] })).pass).toBe(true);
  });
});
