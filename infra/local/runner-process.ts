import { join } from 'node:path';
import { type ManagedProcess, startProcess } from './child-process.js';
import { StackStartError } from './errors.js';
import { waitForHttp } from './ports.js';

/** A runner started as its own Node process (exactly what production runs: `gpu-runner/src/service/main.ts`). */
export interface RunnerProcess extends ManagedProcess {
  id: string;
  healthUrl: string;
}

/** The line `main.ts` prints once ready, naming the port its health server bound. */
const READY = /kandinsky runner: ready, health server on port (\d+)/;
const CANNOT_START = /kandinsky runner: cannot start: .*/;

/**
 * Starts a runner process with `env` (the runner's variables, see docs/runner.md) and waits until it is ready. Its
 * health server binds port 0 (a free port chosen by the OS) and the runner prints the port it got, so nothing can
 * take the port between a probe and the bind.
 */
export async function startRunnerProcess(opts: {
  root: string;
  id: string;
  env: Record<string, string>;
  print?: (line: string) => void;
  readyTimeoutMs?: number;
}): Promise<RunnerProcess> {
  const entry = join(opts.root, 'gpu-runner', 'src', 'service', 'main.ts');
  let announce: (port: number) => void = () => {};
  const announced = new Promise<number>((resolve) => {
    announce = resolve;
  });
  let cannotStart = '';
  const proc = startProcess(opts.id, process.execPath, ['--import', 'tsx', entry], {
    cwd: opts.root,
    env: { ...process.env, ...opts.env, RUNNER_ID: opts.id, PORT: '0', HOST: '127.0.0.1' },
    print: opts.print,
    onLine: (line) => {
      const port = READY.exec(line)?.[1];
      if (port) announce(Number(port));
      cannotStart ||= CANNOT_START.exec(line)?.[0] ?? '';
    },
  });
  const timeoutMs = opts.readyTimeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await Promise.race([
      announced,
      proc.exited.then(() => {
        throw new Error('it exited before it was ready');
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const healthUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${healthUrl}/readyz`, 10_000, proc.alive);
    return { ...proc, id: opts.id, healthUrl };
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new StackStartError(`runner ${opts.id} did not start: ${cannotStart || (err as Error).message}`, proc.tail());
  }
}
