import { join } from 'node:path';
import { type ManagedProcess, startProcess } from './child-process.js';
import { waitForHttp } from './ports.js';

/** A runner started as its own Node process (exactly what production runs: `gpu-runner/src/service/main.ts`). */
export interface RunnerProcess extends ManagedProcess {
  id: string;
  healthUrl: string;
}

/** Starts a runner process with `env` (the runner's variables, see docs/runner.md) and waits for `/readyz`. */
export async function startRunnerProcess(opts: {
  root: string;
  id: string;
  port: number;
  env: Record<string, string>;
  print?: (line: string) => void;
  readyTimeoutMs?: number;
}): Promise<RunnerProcess> {
  const entry = join(opts.root, 'gpu-runner', 'src', 'service', 'main.ts');
  const proc = startProcess(opts.id, process.execPath, ['--import', 'tsx', entry], {
    cwd: opts.root,
    env: { ...process.env, ...opts.env, RUNNER_ID: opts.id, PORT: String(opts.port), HOST: '127.0.0.1' },
    print: opts.print,
  });
  const healthUrl = `http://127.0.0.1:${opts.port}`;
  try {
    await waitForHttp(`${healthUrl}/readyz`, opts.readyTimeoutMs ?? 120_000, proc.alive);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`runner ${opts.id} did not become ready: ${(err as Error).message}\n${proc.tail()}`);
  }
  return { ...proc, id: opts.id, healthUrl };
}
