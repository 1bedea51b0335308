import { describe, expect, it } from 'vitest';
import { generationMetadata } from './generation-metadata.js';
import type { RunnerJob } from './protocol.js';

const job = (prompt: string): RunnerJob => ({
  id: 'job_1',
  task: 'img2img',
  attempt: 1,
  params: {
    prompt,
    n: 2,
    width: 64,
    height: 128,
    seed: 4294967295,
    steps: 10,
    guidance_scale: 4,
    prior_steps: 5,
    prior_guidance_scale: 4,
    scheduler: 'ddim',
    strength: 0.3,
    image: 'inputs/t/job_1/image.png',
    output_format: 'png',
  },
  output: { prefix: 'results/t/job_1/' },
});

describe('generationMetadata', () => {
  it('records the parameters as ASCII, the seed of each image and the percent-encoded prompt', () => {
    const meta = generationMetadata(job('кот, 50%'), 1, 'r1');
    expect(meta).toMatchObject({
      'job-id': 'job_1',
      task: 'img2img',
      'image-index': '1',
      width: '64',
      height: '128',
      strength: '0.3',
      runner: 'r1',
    });
    expect(meta.seed).toBe('0'); // seed + index wrapped to uint32, the same value the completion reports
    expect(decodeURIComponent(meta.prompt)).toBe('кот, 50%');
    for (const value of Object.values(meta)) expect(value).toMatch(/^[\x20-\x7e]*$/);
    expect(meta['prompt-truncated']).toBeUndefined();
  });

  it('cuts long prompts on whole characters to fit S3 metadata limits', () => {
    const meta = generationMetadata(job('猫'.repeat(2000)), 0, 'r1');
    expect(meta['prompt-truncated']).toBe('true');
    expect(meta.prompt.length).toBeLessThanOrEqual(1200);
    expect(decodeURIComponent(meta.prompt)).toMatch(/^猫+$/);
    const total = Object.entries(meta).reduce((a, [k, v]) => a + k.length + v.length, 0);
    expect(total).toBeLessThan(2048);
  });
});
