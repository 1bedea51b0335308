import { describe, expect, it } from 'vitest';
import { DdimScheduler } from '../schedulers/ddim-scheduler.js';
import { planGeneration } from './generation-request.js';
import { img2imgSchedule } from './img2img-noising.js';
import { latentSize, outputSize } from './latent-geometry.js';

describe('latent sizes (get_new_h_w) and img2img schedules', () => {
  it('rounds image sizes up to multiples of 64 (512 -> 64 latents, 500 -> 64, 520 -> 72, 768 -> 96)', () => {
    expect(latentSize(512, 500)).toEqual({ height: 64, width: 64 });
    expect(latentSize(520, 768)).toEqual({ height: 72, width: 96 });
    expect(outputSize(1, 65)).toEqual({ height: 64, width: 128 });
  });

  it('starts img2img at the last int(steps·strength) timesteps and noises to int(1000·strength) - 2', () => {
    const ddim = new DdimScheduler();
    ddim.setTimesteps(100);
    const at100 = img2imgSchedule(100, 0.3);
    expect(at100).toEqual({ startIndex: 70, stepsRun: 30, noiseTimestep: 298 });
    expect(ddim.timesteps[at100.startIndex]).toBe(291);
    ddim.setTimesteps(10);
    const at10 = img2imgSchedule(10, 0.3);
    expect(ddim.timesteps.slice(at10.startIndex)).toEqual([201, 101, 1]);
    expect(img2imgSchedule(4, 1)).toEqual({ startIndex: 0, stepsRun: 4, noiseTimestep: 998 });
  });

  it('fills in the reference defaults', () => {
    const plan = planGeneration({ task: 'text2image', prompt: 'a cat', seed: 3 });
    expect(plan.params).toMatchObject({
      width: 512,
      height: 512,
      n: 1,
      steps: 100,
      guidance_scale: 4,
      prior_steps: 25,
      prior_guidance_scale: 4,
      scheduler: 'ddim',
      output_format: 'png',
      seed: 3,
    });
    expect(planGeneration({ task: 'img2img', prompt: 'a cat', image: new Uint8Array([1]) }).params).toMatchObject({
      strength: 0.3,
    });
    const random = planGeneration({ task: 'text2image', prompt: 'a cat' }).params.seed;
    expect(Number.isInteger(random) && random >= 0 && random < 2 ** 32).toBe(true);
  });
});
