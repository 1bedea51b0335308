import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requestArbitrary } from '../test/request-arbitrary.js';
import { mapRequestImages, resolveGenerationRequest, taskParamsSchemas } from './generation-params.js';
import { generationRequestSchema, resolveSize, taskInputSchemas } from './generation-request.js';
import { GENERATION_LIMITS as L } from './limits.js';
import { imageSeed } from './seeds.js';

const publicSchema = generationRequestSchema(z.string().min(1), {});
const wireSchemas = taskParamsSchemas(z.string().min(1));

/** The first issue of a refused request, as `{ path, message }`. */
function refusal(value: unknown): { path: string; message: string } | null {
  const result = publicSchema.safeParse(value);
  if (result.success) return null;
  const [issue] = result.error.issues;
  const path = issue.path.map(String).join('.');
  return {
    path: issue.code === 'unrecognized_keys' ? [path, issue.keys[0]].filter(Boolean).join('.') : path,
    message: issue.message,
  };
}

describe('the request contract (hand-picked cases)', () => {
  it('accepts the largest seed with n > 1, and image i uses (seed + i) mod 2^32', () => {
    const request = {
      task: 'text2image',
      input: { prompt: 'x', size: '64x64', steps: 2, prior_steps: 2, n: 2, seed: L.maxSeed },
    };
    expect(refusal(request)).toBeNull();
    const resolved = resolveGenerationRequest(publicSchema.parse(request), () => 0);
    expect(resolved.params.seed).toBe(4294967295);
    expect([0, 1].map((i) => imageSeed(resolved.params.seed, i))).toEqual([4294967295, 0]);
  });

  it('refuses prior_steps 1 (the UnCLIP schedule needs two), naming the field', () => {
    expect(refusal({ task: 'text2image', input: { prompt: 'x', prior_steps: 1 } })).toMatchObject({
      path: 'input.prior_steps',
    });
    expect(refusal({ task: 'text2image', input: { prompt: 'x', prior_steps: 2 } })).toBeNull();
  });

  it('refuses img2img whose steps x strength leaves no denoising step, naming strength', () => {
    const img2img = (steps: number, strength: number) => ({
      task: 'img2img',
      input: { prompt: 'x', image: 'i', steps, strength },
    });
    expect(refusal(img2img(2, 0.4))?.path).toBe('input.strength');
    expect(refusal(img2img(3, 0.34))).toBeNull();
    expect(refusal(img2img(100, 0.001))?.message).toMatch(/0\.002/);
    expect(refusal(img2img(100, 0.3))).toBeNull();
  });

  it('holds one set of limits: sides 64..1024 rounded up to 64, steps 1..150, n 1..4', () => {
    expect(resolveSize({ size: '1024x1000' })).toEqual({ width: 1024, height: 1024 });
    expect(resolveSize({ size: '1025x64' })).toMatchObject({ param: 'size' });
    expect(resolveSize({ width: 63 })).toMatchObject({ param: 'width' });
    expect(resolveSize({ size: '64x64', height: 64 })).toMatchObject({ param: 'size' });
    expect(refusal({ task: 'text2image', input: { prompt: 'x', width: 2048 } })?.path).toBe('input.width');
    expect(refusal({ task: 'text2image', input: { prompt: 'x', steps: 151 } })?.path).toBe('input.steps');
    expect(refusal({ task: 'text2image', input: { prompt: 'x', n: 5 } })?.path).toBe('input.n');
    expect(refusal({ task: 'text2image', input: { prompt: 'x', size: '64x64', width: 64 } })?.path).toBe('input.size');
  });

  it('keeps "" as a real negative prompt and drops an absent one', () => {
    const parse = (input: Record<string, unknown>) =>
      resolveGenerationRequest(publicSchema.parse({ task: 'text2image', input: { prompt: 'x', ...input } }), () => 7)
        .params;
    expect(parse({ negative_prompt: '' })).toHaveProperty('negative_prompt', '');
    expect(parse({})).not.toHaveProperty('negative_prompt');
  });

  it('fills the diffusers defaults and a seed', () => {
    const resolved = resolveGenerationRequest(
      publicSchema.parse({ task: 'text2image', input: { prompt: 'x' } }),
      () => 42,
    );
    expect(resolved).toEqual({
      task: 'text2image',
      params: {
        prompt: 'x',
        n: 1,
        width: 512,
        height: 512,
        seed: 42,
        steps: 100,
        guidance_scale: 4,
        prior_steps: 25,
        prior_guidance_scale: 4,
        scheduler: 'ddim',
        output_format: 'png',
      },
    });
  });

  it('maps every image reference of every task, naming each field', async () => {
    const seen: string[] = [];
    const fuse = resolveGenerationRequest(
      publicSchema.parse({
        task: 'fuse',
        input: {
          inputs: [
            { type: 'image', image: 'a', weight: 1 },
            { type: 'text', text: 't', weight: 1 },
            { type: 'image', image: 'b', weight: 2 },
          ],
        },
      }),
      () => 0,
    );
    const mapped = await mapRequestImages(fuse, (ref, param) => {
      seen.push(param);
      return `key/${ref}`;
    });
    expect(seen).toEqual(['inputs.0.image', 'inputs.2.image']);
    expect(mapped.task === 'fuse' && mapped.params.inputs.map((i) => (i.type === 'image' ? i.image : i.text))).toEqual([
      'key/a',
      't',
      'key/b',
    ]);
    const inpaint = resolveGenerationRequest(
      publicSchema.parse({ task: 'inpaint', input: { prompt: 'p', image: 'i', mask: 'm' } }),
      () => 0,
    );
    seen.length = 0;
    await mapRequestImages(inpaint, (_ref, param) => seen.push(param));
    expect(seen).toEqual(['image', 'mask']);
  });
});

describe('the request contract (generated requests)', () => {
  const images = fc.constantFrom('img-a', 'img-b');

  it('whatever the public schema accepts resolves into parameters the runner-side schema accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(requestArbitrary({ image: images }), fc.integer({ min: 0, max: L.maxSeed }), (request, seed) => {
        const parsed = publicSchema.safeParse(request);
        if (!parsed.success) return;
        accepted++;
        const resolved = resolveGenerationRequest(parsed.data, () => seed);
        const wire = wireSchemas[resolved.task].safeParse(JSON.parse(JSON.stringify(resolved.params)));
        expect(wire.error?.issues ?? []).toEqual([]);
        for (let i = 0; i < resolved.params.n; i++) {
          const s = imageSeed(resolved.params.seed, i);
          expect(Number.isInteger(s) && s >= 0 && s <= L.maxSeed).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('refuses with an issue that names a field of the request, and never throws, on any JSON value', () => {
    fc.assert(
      fc.property(fc.oneof(requestArbitrary({ image: images }), fc.jsonValue()), (value) => {
        const result = publicSchema.safeParse(value);
        if (result.success) return;
        expect(result.error.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('the runner-side schema refuses what the public one refuses once resolved (ranges are the same numbers)', () => {
    // Every numeric range of the wire schema is the public one: push each field one past its public bound.
    const base = resolveGenerationRequest(
      publicSchema.parse({ task: 'text2image', input: { prompt: 'x' } }),
      () => 1,
    ).params;
    const pastBounds: Record<string, unknown[]> = {
      n: [0, L.maxImages + 1],
      steps: [L.minSteps - 1, L.maxSteps + 1],
      prior_steps: [L.minPriorSteps - 1, L.maxPriorSteps + 1],
      guidance_scale: [L.minGuidance - 0.01, L.maxGuidance + 0.01],
      width: [L.minSide - L.sideStep, L.maxSide + L.sideStep],
      seed: [-1, L.maxSeed + 1],
    };
    for (const [key, values] of Object.entries(pastBounds)) {
      for (const value of values) {
        expect(wireSchemas.text2image.safeParse({ ...base, [key]: value }).success, `${key}=${value}`).toBe(false);
        expect(
          taskInputSchemas(z.string()).text2image.safeParse({ prompt: 'x', [key]: value }).success,
          `${key}=${value}`,
        ).toBe(false);
      }
    }
    // On the wire a side is already rounded: a runner refuses one that is not a multiple of 64.
    expect(wireSchemas.text2image.safeParse({ ...base, width: 100 }).success).toBe(false);
  });
});
