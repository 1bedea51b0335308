import { parseArgs } from 'node:util';
import type { WeightDtype } from '../convert/convert-component.js';
import { DEFAULT_HUB_URL, DEFAULT_REPOS, pullWeights } from './pull.js';

const HELP = `usage: kandinsky weights pull --out <model folder> [options]

Downloads the Kandinsky 2.1 diffusers repositories from the Hugging Face Hub, verifies every file against the
size and SHA-256 the hub publishes (interrupted downloads resume on the next run), rewrites PyTorch .bin weights
as safetensors with a restricted reader that never executes pickled code, and converts everything into one TF.js
model folder. Upload that folder with \`kandinsky weights upload\`.

options:
  --out <dir>          converted model folder (required unless --download-only)
  --repo <owner/name>  repository to pull (repeatable); default:
                         ${DEFAULT_REPOS.join('\n                         ')}
  --revision <rev>     branch, tag or commit (default main)
  --variant <name>     prefer these weights, e.g. fp16 (halves the download; converted weights load as float32)
  --dtype <t>          storage dtype of the converted weights: float32 (default) or float16
  --shard-mb <n>       converted shard size (default 64)
  --cache-dir <dir>    downloads and converter input (default $KANDINSKY_HUB_CACHE or .cache/kandinsky-hub)
  --hub-url <url>      hub or mirror base URL (default $HF_ENDPOINT or ${DEFAULT_HUB_URL})
  --attempts <n>       download attempts per file (default 4)
  --download-only      download, verify and prepare; do not convert

environment: HF_TOKEN (gated/private repositories), HF_ENDPOINT, KANDINSKY_HUB_CACHE`;

/** `kandinsky weights pull`. Returns the exit code. */
export async function weightsPullCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      repo: { type: 'string', multiple: true },
      revision: { type: 'string', default: 'main' },
      variant: { type: 'string' },
      dtype: { type: 'string', default: 'float32' },
      'shard-mb': { type: 'string', default: '64' },
      'cache-dir': { type: 'string' },
      'hub-url': { type: 'string' },
      attempts: { type: 'string', default: '4' },
      'download-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const problems: string[] = [];
  if (!values.out && !values['download-only']) problems.push('--out is required (or pass --download-only)');
  if (values.dtype !== 'float32' && values.dtype !== 'float16')
    problems.push(`--dtype must be float32 or float16, got "${values.dtype}"`);
  const shardMb = Number(values['shard-mb']);
  if (!Number.isFinite(shardMb) || shardMb < 1 || shardMb > 1024)
    problems.push(`--shard-mb must be 1..1024, got "${values['shard-mb']}"`);
  const attempts = Number(values.attempts);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100)
    problems.push(`--attempts must be 1..100, got "${values.attempts}"`);
  if (problems.length) {
    console.error(`${problems.join('\n')}\n\n${HELP}`);
    return 2;
  }
  const start = performance.now();
  const results = await pullWeights({
    repos: values.repo?.length ? values.repo : DEFAULT_REPOS,
    revision: values.revision,
    variant: values.variant,
    hubUrl: values['hub-url'] ?? env.HF_ENDPOINT ?? DEFAULT_HUB_URL,
    accessToken: env.HF_TOKEN || undefined,
    cacheDir: values['cache-dir'] ?? env.KANDINSKY_HUB_CACHE ?? '.cache/kandinsky-hub',
    outDir: values['download-only'] ? undefined : values.out,
    dtype: values.dtype as WeightDtype,
    shardBytes: Math.round(shardMb * 1024 * 1024),
    attempts,
    log: (line) => console.log(line),
  });
  for (const r of results) {
    const fetched = r.files.reduce((a, f) => a + f.fetched, 0);
    const total = r.files.reduce((a, f) => a + f.bytes, 0);
    const converted = r.conversion ? Object.keys(r.conversion.components).join(', ') : 'not converted';
    console.log(
      `${r.repo}@${r.revision} (commit ${r.commit}): ${r.files.length} files, ${(total / 1e9).toFixed(2)} GB (${(fetched / 1e9).toFixed(2)} GB fetched now); ${converted}`,
    );
  }
  console.log(
    `done in ${((performance.now() - start) / 1000).toFixed(1)} s${values.out && !values['download-only'] ? ` -> ${values.out}` : ''}`,
  );
  return 0;
}

/** `kandinsky weights <subcommand>`. */
export async function weightsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'pull') return weightsPullCommand(rest);
  if (sub === 'upload') return (await import('./upload-command.js')).weightsUploadCommand(rest);
  console.error('usage: kandinsky weights pull|upload [options] (--help for each)');
  return sub === undefined || sub === '--help' || sub === '-h' ? 0 : 2;
}
