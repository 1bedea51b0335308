import { open, readFile, rm } from 'node:fs/promises';

/** A lock file held by this process. */
export interface FileLock {
  /** Removes the lock file (only if it is still ours). */
  release(): Promise<void>;
}

/**
 * Takes the lock file `path` (created exclusively, holding this process id). A lock whose process no longer runs is
 * stale and taken over. When another live process holds it, resolves to that process id instead.
 */
export async function tryLock(path: string): Promise<FileLock | { heldBy: number }> {
  for (let tries = 0; tries < 5; tries++) {
    try {
      const file = await open(path, 'wx', 0o600);
      await file.writeFile(String(process.pid));
      await file.close();
      return {
        async release() {
          const owner = await readFile(path, 'utf8').catch(() => '');
          if (owner === String(process.pid)) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    // An empty file is a lock being written right now: look again.
    if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) return { heldBy: owner };
    // A dead holder, or a file left empty by a process that died while writing it.
    if (Number.isInteger(owner) || tries >= 2) await rm(path, { force: true });
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`could not take the lock ${path}`);
}

/** Waits (polling) until the lock `path` is free, takes it, runs `fn`, releases it. */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; onWait?: (holder: number) => void } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  let told = false;
  for (;;) {
    const lock = await tryLock(path);
    if ('release' in lock) {
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    }
    if (!told) opts.onWait?.(lock.heldBy);
    told = true;
    if (Date.now() > deadline) throw new Error(`${path} is still held by process ${lock.heldBy}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
