import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the health endpoints report. */
export interface HealthState {
  /** False once the process is wedged (the job loop died): `/healthz` then fails and the orchestrator restarts it. */
  live(): boolean;
  /** True once models are loaded and warmed up, false again while draining on SIGTERM. */
  ready(): boolean;
  /** Extra facts for humans reading `/readyz`. */
  describe(): Record<string, unknown>;
  metrics(): string;
}

/**
 * Serves `/healthz` (liveness), `/readyz` (readiness) and `/metrics` (Prometheus text format) on its own port, so
 * probes and scrapes never wait behind a generation.
 */
export class HealthServer {
  private server?: Server;

  constructor(private readonly state: HealthState) {}

  /** Listens on `host:port` (port 0 picks a free one) and returns the bound port. */
  async listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/healthz') {
        const live = this.state.live();
        res
          .writeHead(live ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: live ? 'ok' : 'failed' }));
      } else if (path === '/readyz') {
        const ready = this.state.ready();
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: ready ? 'ready' : 'not_ready', ...this.state.describe() }));
      } else if (path === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(this.state.metrics());
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}
