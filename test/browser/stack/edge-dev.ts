import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The edge Worker running under `wrangler dev`. */
export interface EdgeDev {
  url: string;
  /** Last lines wrangler printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `wrangler dev` for the repository's wrangler.toml on 127.0.0.1 with `vars` overriding its development vars,
 * Durable Object state in a fresh temp folder, and waits until `/healthz` answers.
 */
export async function startEdgeDev(
  root: string,
  vars: Record<string, string>,
  readyTimeoutMs = 45_000,
): Promise<EdgeDev> {
  const port = await freePort();
  const persistDir = mkdtempSync(join(tmpdir(), 'kd-browser-edge-'));
  const args = [
    'dev',
    '--config',
    join(root, 'wrangler.toml'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--persist-to',
    persistDir,
    '--inspector-port',
    String(await freePort()),
    '--show-interactive-dev-session=false',
    ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
  ];
  const child: ChildProcess = spawn(join(root, 'node_modules', '.bin', 'wrangler'), args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: wrangler starts workerd as a child, and stopping must reach both.
    detached: true,
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 80));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {}
      }, 5_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(persistDir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return { url, output: () => lines.join('\n'), stop };
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not become ready on ${url}:\n${lines.slice(-30).join('\n')}`);
}
