import { type ChildProcess, spawn } from 'node:child_process';

/** A child process of the stack, with its output prefixed and kept for error messages. */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** The last lines it printed (for "why did it die" messages). */
  tail(): string;
  alive(): boolean;
  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. Resolves with the exit code (null if killed). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Spawns a child in its own process group (so Ctrl-C in the terminal reaches only the parent, which then stops
 * children in order) and forwards its output line by line through `print`.
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; print?: (line: string) => void },
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  let exitCode: number | null | undefined;
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 60) lines.shift();
      opts.print?.(`[${name}] ${line}`);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
  });
  return {
    name,
    child,
    exited,
    tail: () => lines.slice(-25).join('\n'),
    alive: () => exitCode === undefined,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (exitCode !== undefined) return exitCode;
      try {
        // The whole group: wrangler and workerd are separate processes.
        process.kill(-child.pid!, signal);
      } catch {
        return exitCode ?? null;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {}
      }, timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
