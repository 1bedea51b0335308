import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requestArbitrary } from '../test/request-arbitrary.js';
import { mapRequestImages, resolveGenerationRequest, taskParamsSchemas } from './generation-params.js';
import { generationRequestSchema, resolveSize, taskInputSchemas } from './generation-request.js';
import { GENERATION_LIMITS as L } from './limits.js';
import { maskAlphaProblem, pngHasAlpha } from './mask-alpha.js';
import { checkStreaming, streamingFields } from './openai-streaming.js';
import { denoisingSteps, previewKey, previewSteps } from './previews.js';
import { wireParamsSchemas } from './runner-api.js';
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

describe('previews and the mask convention (hand-picked cases)', () => {
  const resolve = (task: string, input: Record<string, unknown>) =>
    resolveGenerationRequest(publicSchema.parse({ task, input }), () => 1).params as Record<string, unknown>;

  it('preview_every k previews steps k, 2k, ... below the last step; none is the default', () => {
    expect(resolve('text2image', { prompt: 'x', steps: 10, preview_every: 4 }).preview_steps).toEqual([4, 8]);
    expect(resolve('text2image', { prompt: 'x', steps: 8, preview_every: 4 }).preview_steps).toEqual([4]);
    expect(resolve('text2image', { prompt: 'x', steps: 4, preview_every: 4 })).not.toHaveProperty('preview_steps');
    expect(resolve('text2image', { prompt: 'x' })).not.toHaveProperty('preview_steps');
    expect(resolve('text2image', { prompt: 'x', partial_images: 0 })).not.toHaveProperty('preview_steps');
  });

  it('partial_images p spreads p previews evenly, fewer when the steps are too few', () => {
    expect(resolve('text2image', { prompt: 'x', steps: 3, partial_images: 2 }).preview_steps).toEqual([1, 2]);
    expect(resolve('text2image', { prompt: 'x', steps: 100, partial_images: 3 }).preview_steps).toEqual([25, 50, 75]);
    expect(resolve('text2image', { prompt: 'x', steps: 2, partial_images: 3 }).preview_steps).toEqual([1]);
    expect(previewSteps(1, { count: 3 })).toEqual([]);
  });

  it('img2img counts the steps it runs: int(steps × strength)', () => {
    expect(denoisingSteps('img2img', 10, 0.5)).toBe(5);
    const params = resolve('img2img', { prompt: 'x', image: 'i', steps: 10, strength: 0.5, preview_every: 2 });
    expect(params.preview_steps).toEqual([2, 4]);
  });

  it('refuses both preview fields at once, and more previews than the cap, naming preview_every', () => {
    expect(refusal({ task: 'text2image', input: { prompt: 'x', preview_every: 2, partial_images: 1 } })).toMatchObject({
      path: 'input.preview_every',
    });
    const tooMany = refusal({ task: 'text2image', input: { prompt: 'x', steps: 100, preview_every: 3 } });
    expect(tooMany?.path).toBe('input.preview_every');
    expect(tooMany?.message).toMatch(/33 previews; at most 25 \(use preview_every >= 4\)/);
    expect(refusal({ task: 'text2image', input: { prompt: 'x', steps: 100, preview_every: 4 } })).toBeNull();
    expect(refusal({ task: 'text2image', input: { prompt: 'x', partial_images: 4 } })?.path).toBe(
      'input.partial_images',
    );
  });

  it('the wire refuses preview steps out of order or at/after the last step the job runs', () => {
    const base = resolve('text2image', { prompt: 'x', steps: 10 });
    const wire = (preview_steps: unknown) => wireSchemas.text2image.safeParse({ ...base, preview_steps }).success;
    expect(wire([2, 5, 9])).toBe(true);
    expect(wire([5, 2])).toBe(false);
    expect(wire([2, 2])).toBe(false);
    expect(wire([10])).toBe(false);
    expect(wire([])).toBe(false);
    const img2img = resolve('img2img', { prompt: 'x', image: 'i', steps: 10, strength: 0.5 });
    expect(wireSchemas.img2img.safeParse({ ...img2img, preview_steps: [4] }).success).toBe(true);
    expect(wireSchemas.img2img.safeParse({ ...img2img, preview_steps: [5] }).success).toBe(false);
  });

  it('partial_images on the OpenAI routes needs stream: true', () => {
    const schema = z.strictObject(streamingFields).superRefine(checkStreaming);
    expect(schema.safeParse({ partial_images: 2 }).error?.issues[0].path).toEqual(['partial_images']);
    expect(schema.parse({ stream: true, partial_images: 2 })).toEqual({ stream: true, partial_images: 2 });
    expect(schema.parse({})).toEqual({ stream: false });
  });

  it('previews live under the output prefix, in the output format', () => {
    expect(previewKey('results/t/job_1/', 4, 1, 'jpeg')).toBe('results/t/job_1/previews/4-1.jpg');
  });

  it('inpaint masks are luma by default; alpha is kept; an old wire job without the field is luma', () => {
    expect(resolve('inpaint', { prompt: 'p', image: 'i', mask: 'm' }).mask_source).toBe('luma');
    expect(resolve('inpaint', { prompt: 'p', image: 'i', mask: 'm', mask_source: 'alpha' }).mask_source).toBe('alpha');
    const { mask_source: _m, ...old } = resolve('inpaint', { prompt: 'p', image: 'i', mask: 'm' });
    expect(wireParamsSchemas.inpaint.parse(old).mask_source).toBe('luma');
    expect(
      refusal({ task: 'inpaint', input: { prompt: 'p', image: 'i', mask: 'm', mask_source: 'white' } })?.path,
    ).toBe('input.mask_source');
    expect(refusal({ task: 'img2img', input: { prompt: 'p', image: 'i', mask_source: 'alpha' } })?.path).toBe(
      'input.mask_source',
    );
  });

  it('tells a PNG with an alpha channel (RGBA, grey+alpha, tRNS) from one without, from the headers', () => {
    const png = (colorType: number, extra: string[] = []) => pngWithChunks(colorType, extra);
    expect(pngHasAlpha(png(6))).toBe(true);
    expect(pngHasAlpha(png(4))).toBe(true);
    expect(pngHasAlpha(png(3, ['PLTE', 'tRNS']))).toBe(true);
    expect(pngHasAlpha(png(2, ['tRNS']))).toBe(true);
    expect(pngHasAlpha(png(2))).toBe(false);
    expect(pngHasAlpha(png(0))).toBe(false);
    expect(pngHasAlpha(png(3, ['PLTE']))).toBe(false);
    expect(pngHasAlpha(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new Array(40).fill(0)]))).toBe(false);
    expect(maskAlphaProblem(png(2))).toMatch(/^Invalid mask image format - mask image missing alpha channel/);
    expect(maskAlphaProblem(png(6))).toBeNull();
  });
});

/** A PNG skeleton: signature, IHDR of `colorType`, the `extra` chunks (empty), IDAT, IEND; CRCs are not checked here. */
function pngWithChunks(colorType: number, extra: string[]): Uint8Array {
  const bytes: number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const chunk = (type: string, data: number[]) => {
    bytes.push(0, 0, 0, data.length, ...[...type].map((c) => c.charCodeAt(0)), ...data, 0, 0, 0, 0);
  };
  chunk('IHDR', [0, 0, 0, 16, 0, 0, 0, 16, 8, colorType, 0, 0, 0]);
  for (const type of extra) chunk(type, [0, 0, 0]);
  chunk('IDAT', [1, 2, 3]);
  chunk('IEND', []);
  return new Uint8Array(bytes);
}

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
        // Previews: what was asked, within the steps the task runs and the cap.
        const input = parsed.data.input as { preview_every?: number; partial_images?: number; strength?: number };
        const stepsRun = denoisingSteps(resolved.task, resolved.params.steps, input.strength);
        const steps = resolved.params.preview_steps ?? [];
        if (input.preview_every !== undefined) {
          expect(steps.length).toBe(Math.floor((stepsRun - 1) / input.preview_every));
          for (const step of steps) expect(step % input.preview_every).toBe(0);
        }
        // p partial images: p distinct steps, or every step but the last when there are fewer.
        if (input.partial_images !== undefined) expect(steps.length).toBe(Math.min(input.partial_images, stepsRun - 1));
        if (input.preview_every === undefined && input.partial_images === undefined) expect(steps).toEqual([]);
        expect(steps.length).toBeLessThanOrEqual(L.maxPreviews);
        for (const step of steps) expect(step >= 1 && step < stepsRun).toBe(true);
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
