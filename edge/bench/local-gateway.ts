import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const edgeDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A `wrangler dev` process serving the gateway on 127.0.0.1 with fresh state. */
export interface LocalGateway {
  baseUrl: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts `wrangler dev` (the same workerd and bindings as `npm run dev`) on a free 127.0.0.1 port, with state in a
 * temporary directory, and waits until /healthz answers. `vars` override wrangler.toml [vars].
 */
export async function startWranglerDev(vars: Record<string, string> = {}): Promise<LocalGateway> {
  const port = await freePort();
  const persistTo = mkdtempSync(join(tmpdir(), 'kd-edge-bench-'));
  const args = ['wrangler', 'dev', '--config', '../wrangler.toml', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--persist-to', persistTo, '--inspector-port', String(await freePort()), '--log-level', 'error');
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
  const child: ChildProcess = spawn('npx', args, {
    cwd: edgeDir,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      // Kill the process group we created (npx -> wrangler -> workerd), by id.
      process.kill(-child.pid, 'SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(persistTo, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) return { baseUrl, stop };
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`wrangler dev did not become ready:\n${output}`);
}

/** Reads the top-level [vars] of wrangler.toml (flat `NAME = "value"` lines before the first table). */
function topLevelVars(): Record<string, string> {
  const toml = readFileSync(join(edgeDir, '..', 'wrangler.toml'), 'utf8');
  const section = toml.split(/^\[vars\]$/m)[1]?.split(/^\[/m)[0] ?? '';
  const vars: Record<string, string> = {};
  for (const match of section.matchAll(/^([A-Z0-9_]+)\s*=\s*"([^"]*)"/gm)) vars[match[1]] = match[2];
  return vars;
}

/**
 * Bundles the Worker exactly as `wrangler deploy` would (`--dry-run`), then serves it with Miniflare (workerd) on
 * 127.0.0.1 with SQLite-backed Durable Objects persisted to a temporary directory. This skips wrangler dev's proxy
 * layer, so the numbers are the gateway's own.
 */
export async function startMiniflareGateway(
  vars: Record<string, string> = {},
  persist: 'disk' | 'memory' = 'disk',
): Promise<LocalGateway> {
  const workDir = mkdtempSync(join(tmpdir(), 'kd-edge-bench-'));
  execFileSync(
    'npx',
    ['wrangler', 'deploy', '--dry-run', '--config', '../wrangler.toml', '--outdir', join(workDir, 'dist')],
    {
      cwd: edgeDir,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
      stdio: 'ignore',
    },
  );
  const port = await freePort();
  const mf = new Miniflare({
    scriptPath: join(workDir, 'dist', 'index.js'),
    // Module names are relative to this root; the default (cwd) would make them start with '..', which workerd refuses.
    modulesRoot: join(workDir, 'dist'),
    modules: true,
    compatibilityDate: '2026-05-03',
    compatibilityFlags: ['enable_request_signal'],
    host: '127.0.0.1',
    port,
    bindings: { ...topLevelVars(), ...vars },
    durableObjects: {
      API_KEYS: { className: 'ApiKeyObject', useSQLite: true },
      KEY_REGISTRY: { className: 'KeyRegistry', useSQLite: true },
      QUEUE: { className: 'QueueShard', useSQLite: true },
      RUNNER_REPLAY_GUARD: { className: 'RunnerReplayGuard', useSQLite: true },
    },
    durableObjectsPersist: persist === 'disk' ? join(workDir, 'state') : false,
  });
  let url: URL;
  try {
    url = await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
  return {
    baseUrl: url.origin,
    stop: async () => {
      await mf.dispose();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
