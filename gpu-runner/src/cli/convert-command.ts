import { parseArgs } from 'node:util';
import type { WeightDtype } from '../convert/convert-component.js';
import { convertModelFolder } from '../convert/convert-model-folder.js';
import { progressBar } from './progress-bar.js';

const HELP = `usage: kandinsky convert <diffusers component or model folder> <out> [--dtype float32|float16] [--shard-mb N]

Converts a diffusers pipeline folder (model_index.json) or one component folder (config.json + safetensors) into
TF.js layers models: <out>/<component>/{component.json, <graph>/model.json, <graph>/group1-shard*.bin}.
Schedulers, tokenizers and image processors are copied. The mapping is strict: every checkpoint key must be used
exactly once and every weight filled, or nothing is written and the problems are listed.`;

/** `kandinsky convert`. */
export async function convertCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dtype: { type: 'string', default: 'float32' },
      'shard-mb': { type: 'string', default: '64' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 2) {
    console.error(HELP);
    return 2;
  }
  if (values.dtype !== 'float32' && values.dtype !== 'float16') {
    console.error(`--dtype must be float32 or float16, got "${values.dtype}"`);
    return 2;
  }
  const shardMb = Number(values['shard-mb']);
  if (!Number.isFinite(shardMb) || shardMb < 1 || shardMb > 1024) {
    console.error(`--shard-mb must be a number from 1 to 1024, got "${values['shard-mb']}"`);
    return 2;
  }
  const [src, out] = positionals;
  const start = performance.now();
  const bar = progressBar('converting');
  const result = await convertModelFolder(src, out, {
    dtype: values.dtype as WeightDtype,
    shardBytes: Math.round(shardMb * 1024 * 1024),
    onProgress: (done, total) => {
      const s = (performance.now() - start) / 1000;
      bar(done, total, `${(done / 1e6 / Math.max(s, 1e-3)).toFixed(0)} MB/s`);
    },
  });
  for (const [name, m] of Object.entries(result.components)) {
    console.log(
      `${name}: ${m.referenceClass} -> ${m.graphs.join(', ')} (${m.parameterCount.toLocaleString('en-US')} parameters, ${m.dtype})`,
    );
  }
  for (const name of result.copied) console.log(`${name}: copied`);
  console.log(`done in ${((performance.now() - start) / 1000).toFixed(1)} s -> ${out}`);
  return 0;
}
