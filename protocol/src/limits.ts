/**
 * Every limit of a generation request, in one place: the edge refuses what is outside them (400 naming the
 * parameter) and the runner re-checks leased jobs against the same numbers, so what the API accepts, a runner can do.
 */
export const GENERATION_LIMITS = {
  /** Output side in pixels, as requested and after rounding up to a multiple of {@link GENERATION_LIMITS.sideStep}. */
  minSide: 64,
  maxSide: 1024,
  /** The reference pipelines render sides rounded up to a multiple of 64 (MoVQ's 8x downsampling of 8-row latents). */
  sideStep: 64,
  /** Images per request. */
  maxImages: 4,
  /** Decoder steps. */
  minSteps: 1,
  maxSteps: 150,
  /** Prior steps: the UnCLIP scheduler divides by `steps - 1`, so one step has no schedule. */
  minPriorSteps: 2,
  maxPriorSteps: 150,
  /** Classifier-free guidance scales; at 1 or below the reference skips guidance. */
  minGuidance: 1,
  maxGuidance: 20,
  /** Characters of a prompt or negative prompt (tokenizers keep the first 77 tokens anyway). */
  maxPromptChars: 2000,
  /** Items of a fuse request and the largest weight of one. */
  minFuseInputs: 2,
  maxFuseInputs: 8,
  maxFuseWeight: 100,
  /** Seeds are uint32: the reference's MT19937 generator takes a 32-bit seed. */
  maxSeed: 0xffffffff,
  /** Preview images of one job (each costs a MoVQ decode, an encode and an upload per image). */
  maxPreviews: 25,
  /** OpenAI's `partial_images` range. */
  maxPartialImages: 3,
} as const;

/** The five generation tasks. */
export const TASKS = ['text2image', 'variation', 'fuse', 'img2img', 'inpaint'] as const;
/** A generation task. */
export type Task = (typeof TASKS)[number];

/** Decoder schedulers a request may name. */
export const SCHEDULERS = ['ddim', 'ddpm', 'dpmpp_2m'] as const;
/** A decoder scheduler name. */
export type SchedulerName = (typeof SCHEDULERS)[number];

/**
 * How an inpainting mask says what to repaint: `luma` (the pipeline's convention: white, i.e. luma >= 0.5, repaints)
 * or `alpha` (OpenAI's: the fully transparent pixels of the mask's alpha channel repaint, everything else is kept).
 */
export const MASK_SOURCES = ['luma', 'alpha'] as const;
/** A mask convention. */
export type MaskSource = (typeof MASK_SOURCES)[number];

/** Output encodings. */
export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
/** An output encoding. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** The MIME type of each output encoding. */
export const OUTPUT_CONTENT_TYPES = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
} as const satisfies Record<OutputFormat, string>;

/** The defaults of the diffusers Kandinsky 2.1 pipelines, filled in when a request leaves a field out. */
export const GENERATION_DEFAULTS = {
  n: 1,
  width: 512,
  height: 512,
  steps: 100,
  guidance_scale: 4,
  prior_steps: 25,
  prior_guidance_scale: 4,
  scheduler: 'ddim',
  output_format: 'png',
  strength: 0.3,
  mask_source: 'luma',
} as const satisfies Record<string, number | string>;
