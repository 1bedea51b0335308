import { readdirSync, readFileSync } from 'node:fs';

/** A running process as /proc shows it. */
export interface ProcInfo {
  pid: number;
  pgid: number;
  /** Its argv joined with spaces. */
  cmdline: string;
}

/** Every process this user can see, with its process group and command line (Linux /proc). */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(name), pgid: Number(fields[2]), cmdline });
    } catch {
      // It exited while we looked.
    }
  }
  return out;
}

/** The processes that belong to any of `groups`. */
export function processesInGroups(groups: number[]): ProcInfo[] {
  const wanted = new Set(groups);
  return listProcesses().filter((p) => wanted.has(p.pgid));
}

/** The processes whose environment holds `entry` (e.g. `STATE_DIR=/tmp/x`): every descendant inherits it. */
export function processesWithEnv(entry: string): ProcInfo[] {
  return listProcesses().filter((p) => {
    try {
      return readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(entry);
    } catch {
      return false;
    }
  });
}
