import { type ChildProcess, spawn } from 'node:child_process';
import { StackStartError } from './errors.js';

/** A child process of the stack, with its output prefixed and kept for error messages. */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Process id of the child, which is also the id of its process group (wrangler's workerd and esbuild live there). */
  pid: number;
  /** The last lines it printed (for "why did it die" messages). */
  tail(): string;
  alive(): boolean;
  /**
   * Sends `signal` to the child's whole process group and waits for the child's exit; SIGKILL after `timeoutMs`.
   * Resolves with the exit code (null if killed). The group is signalled even when the child has exited already:
   * wrangler can exit and leave its workerd behind.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Process groups started by this process that may still have members; killed when this process exits. */
const groups = new Set<number>();
/** Every process group this process started. */
const started: number[] = [];
let exitHookInstalled = false;

/** Ids of every process group this process started, stopped or not (tests look for leftovers with it). */
export function startedProcessGroups(): number[] {
  return [...started];
}

function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    // ESRCH: no process of that group is left.
    groups.delete(pgid);
    return false;
  }
}

/**
 * Last resort when this process exits without stopping its children (an uncaught error, `process.exit` during
 * startup): children live in their own process groups, so nothing else would stop them.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of groups) killGroup(pgid, 'SIGKILL');
  });
}

/**
 * Spawns a child in its own process group (so Ctrl-C in the terminal reaches only the parent, which then stops
 * children in order) and forwards its output line by line through `print` (and `onLine`, which sees every line).
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    print?: (line: string) => void;
    onLine?: (line: string) => void;
  },
): ManagedProcess {
  installExitHook();
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // A spawn failure (missing binary) is reported through the exit path below and the pid check, not as a crash.
  child.on('error', () => {});
  const pid = child.pid;
  if (pid === undefined) throw new StackStartError(`could not start the ${name} (${command})`);
  groups.add(pid);
  started.push(pid);
  const lines: string[] = [];
  let exitCode: number | null | undefined;
  const take = (line: string) => {
    if (!line.trim()) return;
    lines.push(line);
    if (lines.length > 60) lines.shift();
    opts.onLine?.(line);
    opts.print?.(`[${name}] ${line}`);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) take(line);
    });
    stream?.on('end', () => take(partial));
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
  });
  return {
    name,
    child,
    pid,
    exited,
    tail: () => lines.slice(-25).join('\n'),
    alive: () => exitCode === undefined,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (!killGroup(pid, signal)) return exitCode ?? null;
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      // Whatever the leader left behind in its group goes with it.
      killGroup(pid, 'SIGKILL');
      groups.delete(pid);
      return code;
    },
  };
}
