import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortInUseError } from './errors.js';

/**
 * Which port a server of the stack binds: a number is that exact port (0: any free one, chosen by the OS) and fails
 * when taken; `{ preferred }` tries that port and falls back to any free one. Servers bind first and then report the
 * port they got, so two stacks starting at once never race for a port someone probed as free.
 */
export type PortChoice = number | { preferred: number };

/** The first port a {@link PortChoice} asks for. */
export function firstPort(choice: PortChoice): number {
  return typeof choice === 'number' ? choice : choice.preferred;
}

/**
 * Binds `server` on `host` as `choice` says and returns the port it got. An exact port that is taken throws
 * {@link PortInUseError}; a preferred one that is taken falls back to a free port.
 */
export async function listenOn(server: Server, choice: PortChoice, host: string, name: 'edge' | 's3'): Promise<number> {
  try {
    await listenOnce(server, firstPort(choice), host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (typeof choice === 'number') throw new PortInUseError(name, choice);
    await listenOnce(server, 0, host);
  }
  return (server.address() as AddressInfo).port;
}

function listenOnce(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Polls `url` until it answers 2xx, or throws after `timeoutMs` with the last problem seen. */
export async function waitForHttp(url: string, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`the process behind ${url} exited before it became ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms (${last})`);
}
