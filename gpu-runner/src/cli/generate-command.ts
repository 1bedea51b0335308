import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FuseInputParam, GenerationParams, OutputFormat, Task } from '../pipelines/generation-request.js';
import { initBackend } from '../tf/backend.js';
import { budgetForBackend } from '../tf/memory-budget.js';
import { progressBar } from './progress-bar.js';

const HELP = `usage:
  kandinsky generate "prompt" --out image.png [options]              text to image
  kandinsky generate --task variation --image in.png --out v.png      image variations
  kandinsky generate --task img2img --image in.png "prompt" [--strength 0.3] --out o.png
  kandinsky generate --task inpaint --image in.png --mask mask.png "prompt" --out o.png   (white = repaint)
  kandinsky generate --task fuse --text "a cat" --weight 0.3 --image dog.png --weight 0.7 --out f.png

options:
  --weights DIR        converted model folder (kandinsky weights pull / kandinsky convert); default $KANDINSKY_WEIGHTS
  --random-weights     use a small random-weight model of the same architecture (noise-like images; for trying the CLI)
  --seed N             seed (image i uses seed + i); random when omitted
  --steps N            decoder steps (default 100)        --guidance X         decoder guidance (default 4)
  --prior-steps N      prior steps (default 25)           --prior-guidance X   prior guidance (default 4)
  --size WxH           output size, rounded up to multiples of 64 (default 512x512)
  --negative TEXT      negative prompt                    --scheduler ddim|ddpm|dpmpp_2m (default ddim)
  --n N                images (1-4; --out gets -1, -2, ... suffixes)
  --format png|jpeg|webp  (default: from --out's extension)
  --backend node-gpu|node|wasm|cpu  (default: best available)`;

/** `kandinsky generate`: runs a pipeline on converted weights and writes the image(s), with a progress bar. */
export async function generateCommand(argv: string[]): Promise<number> {
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    tokens: true,
    options: {
      task: { type: 'string', default: 'text2image' },
      out: { type: 'string', short: 'o' },
      weights: { type: 'string' },
      'random-weights': { type: 'boolean' },
      seed: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      'prior-steps': { type: 'string' },
      'prior-guidance': { type: 'string' },
      size: { type: 'string' },
      negative: { type: 'string' },
      scheduler: { type: 'string' },
      strength: { type: 'string' },
      n: { type: 'string' },
      image: { type: 'string', multiple: true },
      mask: { type: 'string' },
      text: { type: 'string', multiple: true },
      weight: { type: 'string', multiple: true },
      format: { type: 'string' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const fail = (msg: string) => {
    console.error(`${msg}\n\n${HELP}`);
    return 2;
  };
  if (!values.out) return fail('--out is required');
  const task = values.task as Task;
  if (!['text2image', 'variation', 'fuse', 'img2img', 'inpaint'].includes(task))
    return fail(`unknown --task "${task}"`);
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new Error(`--${name} must be a number, got "${v}"`);
    return x;
  };
  let width: number | undefined;
  let height: number | undefined;
  if (values.size) {
    const m = /^(\d+)x(\d+)$/.exec(values.size);
    if (!m) return fail(`--size must look like 512x512, got "${values.size}"`);
    width = Number(m[1]);
    height = Number(m[2]);
  }
  const format = (values.format ?? extname(values.out).slice(1).replace('jpg', 'jpeg').toLowerCase()) || 'png';
  if (!['png', 'jpeg', 'webp'].includes(format)) return fail(`unsupported output format "${format}"`);

  const params: GenerationParams = {
    task,
    prompt: positionals.join(' ') || undefined,
    negative_prompt: values.negative,
    n: num('n', values.n),
    width,
    height,
    seed: num('seed', values.seed),
    steps: num('steps', values.steps),
    guidance_scale: num('guidance', values.guidance),
    prior_steps: num('prior-steps', values['prior-steps']),
    prior_guidance_scale: num('prior-guidance', values['prior-guidance']),
    scheduler: values.scheduler as GenerationParams['scheduler'],
    strength: num('strength', values.strength),
    output_format: format as OutputFormat,
  };
  if (task === 'fuse') {
    params.inputs = await fuseInputs(tokens ?? []);
  } else {
    if (values.image?.length) params.image = await readFile(values.image[0]);
    if (values.mask) params.mask = await readFile(values.mask);
  }

  const backend = await initBackend({ prefer: values.backend, log: (m) => console.error(m) });
  const weights = await resolveWeights(values.weights, values['random-weights'] ?? false);
  const { KandinskyPipelines } = await import('../pipelines/kandinsky-pipelines.js');
  const pipelines = await KandinskyPipelines.load(weights, { budget: budgetForBackend(backend.memoryLimitBytes) });
  const bars = new Map<string, ReturnType<typeof progressBar>>();
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const result = await pipelines.generate(params, {
    signal: abort.signal,
    onProgress: (e) => {
      if (!bars.has(e.stage)) bars.set(e.stage, progressBar(e.stage.padEnd(8)));
      bars.get(e.stage)!(e.step, e.totalSteps, `${e.step}/${e.totalSteps}`);
    },
  });
  const outs = result.images.map((_, i) =>
    result.images.length === 1 ? values.out! : values.out!.replace(/(\.[^.]*)?$/, (ext) => `-${i + 1}${ext}`),
  );
  await Promise.all(result.images.map((img, i) => writeFile(outs[i], img.bytes)));
  for (const [i, img] of result.images.entries()) {
    console.log(`${outs[i]}: ${img.width}x${img.height} ${img.contentType} seed ${img.seed}`);
  }
  console.error(`timings (ms): ${JSON.stringify(result.timingsMs)}`);
  return 0;
}

/** `--text T --weight W --image F --weight W ...`: each --weight belongs to the input before it. */
async function fuseInputs(tokens: NonNullable<ReturnType<typeof parseArgs>['tokens']>): Promise<FuseInputParam[]> {
  const inputs: FuseInputParam[] = [];
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    if (t.name === 'text') inputs.push({ type: 'text', text: String(t.value), weight: Number.NaN });
    else if (t.name === 'image')
      inputs.push({ type: 'image', image: await readFile(String(t.value)), weight: Number.NaN });
    else if (t.name === 'weight') {
      const last = inputs[inputs.length - 1];
      if (!last || !Number.isNaN(last.weight)) throw new Error('each --weight must follow a --text or --image');
      last.weight = Number(t.value);
    }
  }
  for (const i of inputs) if (Number.isNaN(i.weight)) i.weight = 1;
  if (inputs.length === 0) throw new Error('--task fuse needs --text and/or --image inputs');
  return inputs;
}

async function resolveWeights(flag: string | undefined, random: boolean): Promise<string> {
  if (random) {
    const { buildRandomModel } = await import('../service/random-model/build-random-model.js');
    const dir = join(homedir(), '.cache', 'kandinsky-ts', 'random-model');
    const model = await buildRandomModel(dir, { log: (m) => console.error(m) });
    console.error(
      `using a RANDOM-WEIGHT model (${model.parameterCount.toLocaleString('en-US')} parameters): images will be noise-like`,
    );
    return model.dir;
  }
  const dir = flag ?? process.env.KANDINSKY_WEIGHTS;
  if (!dir) {
    throw new Error(
      'no weights: pass --weights DIR (a folder made by `kandinsky weights pull` or `kandinsky convert`), set KANDINSKY_WEIGHTS, or try --random-weights',
    );
  }
  return dir;
}
