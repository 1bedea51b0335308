import { rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ManagedProcess, startProcess } from './child-process.js';
import { PortInUseError, StackStartError } from './errors.js';
import { firstPort, type PortChoice, waitForHttp } from './ports.js';

/** Options of the local edge (the Worker under `wrangler dev`, Durable Objects persisted on disk). */
export interface EdgeDevOptions {
  root: string;
  /** Where the edge listens (0: any free port; `{ preferred }`: that one when free). */
  port: PortChoice;
  persistDir: string;
  /**
   * Variables overriding wrangler.toml's development [vars], secrets included. They reach wrangler through this file
   * (created with mode 0600, removed by `stop`), never its command line, which every local user can read with `ps`.
   */
  vars: Record<string, string>;
  /** Path of that file (in the stack's state folder). */
  envFile: string;
  print?: (line: string) => void;
  readyTimeoutMs?: number;
}

/** The running local edge. */
export interface EdgeDev {
  url: string;
  port: number;
  process: ManagedProcess;
  /** Stops wrangler (and its workerd) and removes the variables file. */
  stop(): Promise<void>;
}

/** The Worker entry `wrangler dev` runs: the deployed one, with a body drain that does not wait on absent bodies. */
const ENTRY = join('infra', 'local', 'worker', 'edge-entry.ts');
const READY = /Ready on (https?:\/\/[^\s]+)/;
const ADDRESS_IN_USE = /Address already in use/i;
const ERROR_LINE = /\[ERROR\]\s*(.+)/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: wrangler colours its error lines even with NO_COLOR.
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Starts `wrangler dev` on 127.0.0.1 and waits until `/healthz` answers. wrangler binds the port itself and says
 * which one ("Ready on ..."), so port 0 works and the URL is only announced once bound. A taken exact port throws
 * {@link PortInUseError}; a taken preferred port is retried on a free one.
 */
export async function startEdgeDev(opts: EdgeDevOptions): Promise<EdgeDev> {
  await writeSecretsFile(opts.envFile, opts.vars);
  // Also removed when this process exits early (process.exit, Ctrl-C during startup); only a kill -9 leaves it.
  const removeOnExit = () => rmSync(opts.envFile, { force: true });
  process.on('exit', removeOnExit);
  const removeSecrets = async () => {
    process.off('exit', removeOnExit);
    await rm(opts.envFile, { force: true });
  };
  try {
    try {
      return await attempt(opts, firstPort(opts.port), removeSecrets);
    } catch (err) {
      if (!(err instanceof PortInUseError) || typeof opts.port === 'number') throw err;
      return await attempt(opts, 0, removeSecrets);
    }
  } catch (err) {
    await removeSecrets();
    throw err;
  }
}

async function attempt(opts: EdgeDevOptions, port: number, removeSecrets: () => Promise<void>): Promise<EdgeDev> {
  const wrangler = join(opts.root, 'node_modules', '.bin', 'wrangler');
  const args = [
    'dev',
    ENTRY,
    '--config',
    join(opts.root, 'wrangler.toml'),
    '--env-file',
    opts.envFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--persist-to',
    opts.persistDir,
    '--show-interactive-dev-session=false',
    // "info" for the "Ready on <url>" line; request logs at that level are not forwarded (see `print` below).
    '--log-level',
    'info',
    '--inspector-port',
    '0',
  ];
  let announce: (url: string) => void = () => {};
  const announced = new Promise<string>((resolve) => {
    announce = resolve;
  });
  let ready = false;
  let portTaken = false;
  let errorLine = '';
  const proc = startProcess('edge', wrangler, args, {
    cwd: opts.root,
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CI: 'true',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      // Replaced by the entry's own drain (infra/local/worker/drain-body.ts).
      WRANGLER_DISABLE_REQUEST_BODY_DRAINING: 'true',
      // --env-file is honoured only with this on; and the Worker gets that file, not this process's environment.
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: 'true',
      CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
    },
    onLine: (raw) => {
      const line = raw.replace(ANSI, '');
      const url = READY.exec(line)?.[1];
      if (url) announce(url);
      if (ADDRESS_IN_USE.test(line)) portTaken = true;
      const error = ERROR_LINE.exec(line)?.[1];
      if (error) errorLine ||= error.trim();
    },
    // Once it is up, everything but per-request info lines. Before, nothing: a failure to start becomes one line
    // (its "[ERROR]" line) with this output as detail, and the bindings table is noise.
    print: opts.print
      ? (line) => {
          if (ready && !line.includes('[wrangler:info]')) opts.print?.(line);
        }
      : undefined,
  });
  const timeoutMs = opts.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await Promise.race([
      announced,
      proc.exited.then(() => {
        throw new Error('exited');
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    await waitForHttp(`${url}/healthz`, Math.max(1000, deadline - Date.now()), proc.alive);
    ready = true;
    return {
      url,
      port: Number(new URL(url).port),
      process: proc,
      async stop() {
        await proc.stop('SIGTERM', 10_000);
        await removeSecrets();
      },
    };
  } catch (err) {
    // The whole group: a failed wrangler leaves its workerd and esbuild running.
    await proc.stop('SIGKILL');
    if (portTaken) throw new PortInUseError('edge', port, proc.tail());
    const why =
      errorLine ||
      ((err as Error).message === 'timeout' ? `not ready within ${timeoutMs / 1000} s` : (err as Error).message);
    throw new StackStartError(`the edge (wrangler dev) did not start: ${why}`, proc.tail());
  }
}

/** Writes `vars` as a dotenv file readable by this user only. Values are ours (tokens, URLs, numbers). */
async function writeSecretsFile(path: string, vars: Record<string, string>): Promise<void> {
  const lines = Object.entries(vars).map(([name, value]) => {
    // dotenv-expand would rewrite "$..." and quotes would end the value: refuse rather than mangle.
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || /["'`$\\\r\n]/.test(value))
      throw new Error(`edge variable ${name} cannot be written to a dotenv file`);
    return `${name}="${value}"`;
  });
  await rm(path, { force: true });
  const file = await open(path, 'wx', 0o600);
  try {
    // The mode given to open() is filtered by the umask (which can only remove bits); make it exact anyway.
    await file.chmod(0o600);
    await file.writeFile(`${lines.join('\n')}\n`);
  } finally {
    await file.close();
  }
}
