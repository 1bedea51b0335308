/**
 * Browser module `request-builder.js`: turns the form's raw values into a `POST /v1/jobs` body plus the files to
 * upload. It does not validate: values the API would refuse are sent as typed, so the API's own message comes back.
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const REQUEST_BUILDER_JS = String.raw`
/** Tasks whose input includes an uploaded image. */
export const IMAGE_TASKS = new Set(['variation', 'img2img', 'inpaint']);

/**
 * A number typed in a field: omitted when blank, a number when it parses, otherwise the raw text (so the API can
 * say what is wrong with it).
 * @param {string} text
 */
export function numberField(text) {
  const trimmed = String(text ?? '').trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

/**
 * @typedef {{ type: 'text', text: string, weight: string } | { type: 'image', file: Blob | null, weight: string }} FuseValue
 * @typedef {{
 *   task: string, prompt: string, negativePrompt: string, size: string, n: string, steps: string, guidance: string,
 *   seed: string, scheduler: string, priorSteps: string, priorGuidance: string, outputFormat: string,
 *   strength: string, image: Blob | null, mask: Blob | null, fuse: FuseValue[], livePreview?: boolean
 * }} FormValues
 */

/** About ten previews per run, whatever the step count (the API allows at most 25). */
export const PREVIEWS_PER_RUN = 10;

/**
 * The preview interval for a run of that many denoising steps: every ceil(steps / 10)-th step. Blank steps are the
 * API's default of 100.
 * @param {unknown} steps
 */
export function previewEvery(steps) {
  const count = typeof steps === 'number' && Number.isInteger(steps) && steps > 0 ? steps : 100;
  return Math.max(1, Math.ceil(count / PREVIEWS_PER_RUN));
}

/**
 * Builds the job request. Images become multipart parts referenced as "attachment:<part>".
 * @param {FormValues} values
 * @returns {{ request: { task: string, input: Record<string, unknown> }, files: Map<string, Blob> }}
 */
export function buildJobRequest(values) {
  const files = new Map();
  const input = {};
  const task = values.task;
  const prompt = String(values.prompt ?? '');
  if (task === 'variation') {
    if (prompt.trim() !== '') input.prompt = prompt;
  } else if (task !== 'fuse') {
    input.prompt = prompt;
  }
  if (IMAGE_TASKS.has(task) && values.image) {
    files.set('image', values.image);
    input.image = 'attachment:image';
  }
  if (task === 'img2img') input.strength = numberField(values.strength);
  if (task === 'inpaint' && values.mask) {
    files.set('mask', values.mask);
    input.mask = 'attachment:mask';
  }
  if (task === 'fuse') {
    input.inputs = (values.fuse ?? []).map((item, index) => {
      const weight = numberField(item.weight);
      if (item.type === 'text') return { type: 'text', text: item.text, weight };
      const part = 'input-' + index;
      if (item.file) files.set(part, item.file);
      return { type: 'image', image: item.file ? 'attachment:' + part : undefined, weight };
    });
  }
  if (String(values.negativePrompt ?? '').trim() !== '') input.negative_prompt = values.negativePrompt;
  input.size = values.size;
  input.n = numberField(values.n);
  input.steps = numberField(values.steps);
  input.guidance_scale = numberField(values.guidance);
  input.seed = numberField(values.seed);
  input.scheduler = values.scheduler;
  input.prior_steps = numberField(values.priorSteps);
  input.prior_guidance_scale = numberField(values.priorGuidance);
  input.output_format = values.outputFormat;
  if (values.livePreview) input.preview_every = previewEvery(input.steps);
  for (const key of Object.keys(input)) if (input[key] === undefined) delete input[key];
  return { request: { task, input }, files };
}

/**
 * The request that reproduces one result image: the job's resolved parameters with that image's own seed and n = 1.
 * Uploaded images are bucket keys by then, so image tasks reproduce only with the same uploads.
 * @param {{ task: string, input: Record<string, unknown> }} job
 * @param {{ seed: number }} image
 */
export function reproduceRequest(job, image) {
  const source = job.input;
  const input = {};
  for (const key of ['prompt', 'negative_prompt', 'strength', 'steps', 'guidance_scale', 'prior_steps',
    'prior_guidance_scale', 'scheduler', 'output_format']) {
    if (source[key] !== undefined && source[key] !== null) input[key] = source[key];
  }
  input.size = source.width + 'x' + source.height;
  input.seed = image.seed;
  input.n = 1;
  if (source.inputs) {
    input.inputs = source.inputs.map((item) =>
      item.type === 'text' ? item : { type: 'image', image: '<the same image>', weight: item.weight });
  }
  if (source.image) input.image = '<the same image>';
  if (source.mask) input.mask = '<the same mask>';
  return { task: job.task, input };
}
`;
