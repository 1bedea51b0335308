import { join } from 'node:path';
import { type ManagedProcess, startProcess } from './child-process.js';
import { waitForHttp } from './ports.js';

/** Options of the local edge (the Worker under `wrangler dev`, Durable Objects persisted on disk). */
export interface EdgeDevOptions {
  root: string;
  port: number;
  persistDir: string;
  /** Values passed as `--var NAME:VALUE`, overriding wrangler.toml's development [vars]. */
  vars: Record<string, string>;
  print?: (line: string) => void;
  readyTimeoutMs?: number;
}

/** Starts `wrangler dev` on 127.0.0.1 and waits until `/healthz` answers. */
export async function startEdgeDev(opts: EdgeDevOptions): Promise<{ url: string; process: ManagedProcess }> {
  const wrangler = join(opts.root, 'node_modules', '.bin', 'wrangler');
  const args = [
    'dev',
    '--config',
    join(opts.root, 'wrangler.toml'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--persist-to',
    opts.persistDir,
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
    '--inspector-port',
    '0',
    ...Object.entries(opts.vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ];
  const proc = startProcess('edge', wrangler, args, {
    cwd: opts.root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
    print: opts.print,
  });
  const url = `http://127.0.0.1:${opts.port}`;
  try {
    await waitForHttp(`${url}/healthz`, opts.readyTimeoutMs ?? 60_000, proc.alive);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`the edge (wrangler dev) did not start: ${(err as Error).message}\n${proc.tail()}`);
  }
  return { url, process: proc };
}
