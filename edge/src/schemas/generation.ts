import { z } from 'zod';

/** Largest width/height accepted (pixels, after rounding up to a multiple of 64). */
export const MAX_SIDE = 1024;
/** Smallest width/height accepted. */
export const MIN_SIDE = 64;

const side = z.number().int().min(MIN_SIDE).max(MAX_SIDE);

/** Kandinsky's sampling knobs shared by every task (defaults are the diffusers pipeline defaults). */
export const samplingFields = {
  negative_prompt: z.string().max(2000).optional(),
  n: z.number().int().min(1).max(4).default(1),
  size: z
    .string()
    .regex(/^\d{2,4}x\d{2,4}$/, 'size must look like "512x512"')
    .optional(),
  width: side.optional(),
  height: side.optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  steps: z.number().int().min(1).max(150).default(100),
  guidance_scale: z.number().min(1).max(20).default(4),
  prior_steps: z.number().int().min(1).max(150).default(25),
  prior_guidance_scale: z.number().min(1).max(20).default(4),
  scheduler: z.enum(['ddim', 'ddpm', 'dpmpp_2m']).default('ddim'),
  output_format: z.enum(['png', 'jpeg', 'webp']).default('png'),
};

/** A prompt: 1..2000 characters, not only whitespace. */
export const promptField = z
  .string()
  .max(2000)
  .refine((text) => text.trim().length > 0, 'prompt must not be empty');

/** Sizes as requested: `size: "WxH"` (OpenAI style) or `width`/`height`. */
export interface SizeFields {
  size?: string;
  width?: number;
  height?: number;
}

/** Rounds a side up to the next multiple of 64, as the Kandinsky reference pipeline does. */
export function roundUpTo64(value: number): number {
  return Math.ceil(value / 64) * 64;
}

/**
 * Resolves `size` or `width`/`height` into the rendered size: each side rounded UP to a multiple of 64, bounded to
 * [64, 1024]. Returns an error message (with the offending field) for conflicting or out-of-range values.
 */
export function resolveSize(fields: SizeFields): { width: number; height: number } | { error: string; param: string } {
  if (fields.size !== undefined && (fields.width !== undefined || fields.height !== undefined)) {
    return { error: 'Give either size or width/height, not both.', param: 'size' };
  }
  let width = fields.width ?? 512;
  let height = fields.height ?? 512;
  if (fields.size !== undefined) {
    [width, height] = fields.size.split('x').map(Number);
  }
  for (const [param, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (value < MIN_SIDE || value > MAX_SIDE) {
      return {
        error: `${param} must be between ${MIN_SIDE} and ${MAX_SIDE} pixels.`,
        param: fields.size ? 'size' : param,
      };
    }
  }
  return { width: roundUpTo64(width), height: roundUpTo64(height) };
}
