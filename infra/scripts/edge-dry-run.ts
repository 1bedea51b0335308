/**
 * Bundles the edge Worker for every wrangler environment, offline, and prints one JSON line per environment with the
 * bundle size (raw and gzip, what Cloudflare's size limits are measured on):
 *
 *   npx tsx infra/scripts/edge-dry-run.ts            # every environment in wrangler.toml
 *   npx tsx infra/scripts/edge-dry-run.ts staging    # only these
 *
 * Exits non-zero when a bundle fails or exceeds the Workers limit (10 MiB gzip on paid plans, 3 MiB on free).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = join(import.meta.dirname, '../..');
const FREE_PLAN_GZIP_LIMIT = 3 * 1024 * 1024;
const PAID_PLAN_GZIP_LIMIT = 10 * 1024 * 1024;

/** `dev` is the top level of wrangler.toml; every `[env.<name>]` table is another environment. */
export function wranglerEnvironments(toml: string): string[] {
  const names = [...toml.matchAll(/^\[env\.([A-Za-z0-9_-]+)\]\s*$/gm)].map((m) => m[1]);
  return ['dev', ...new Set(names)];
}

function run(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['--no-install', 'wrangler', ...args], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function bundle(env: string): Promise<Record<string, unknown>> {
  const outdir = await mkdtemp(join(tmpdir(), `edge-${env}-`));
  try {
    const args = ['deploy', '--dry-run', '--outdir', outdir, '--config', 'wrangler.toml'];
    if (env !== 'dev') args.push('--env', env);
    const { code, output } = await run(args);
    if (code !== 0) return { env, ok: false, error: output.trim().split('\n').slice(-15).join('\n') };
    const js = await readFile(join(outdir, 'index.js'));
    const gzipBytes = gzipSync(js, { level: 9 }).length;
    const reported = /Total Upload: ([\d.]+ KiB) \/ gzip: ([\d.]+ KiB)/.exec(output);
    return {
      env,
      ok: gzipBytes <= PAID_PLAN_GZIP_LIMIT,
      bundle_bytes: js.length,
      gzip_bytes: gzipBytes,
      wrangler_total_upload: reported ? `${reported[1]} (gzip ${reported[2]})` : null,
      fits_free_plan: gzipBytes <= FREE_PLAN_GZIP_LIMIT,
    };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const all = wranglerEnvironments(await readFile(join(ROOT, 'wrangler.toml'), 'utf8'));
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((e) => !all.includes(e));
  if (unknown.length) {
    console.error(`unknown environment(s) ${unknown.join(', ')}; wrangler.toml has ${all.join(', ')}`);
    return 2;
  }
  let failed = 0;
  for (const env of wanted.length ? wanted : all) {
    const result = await bundle(env);
    if (!result.ok) failed++;
    console.log(JSON.stringify(result));
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main().then((code) => process.exit(code));
}
