import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startedProcessGroups } from '../../infra/local/child-process.js';
import { PortInUseError } from '../../infra/local/errors.js';
import { startStack } from '../../infra/local/stack.js';
import { ROOT, startTestStack } from '../support/stack-fixture.js';
import { listProcesses, processesInGroups } from './processes.js';

/**
 * `npm start` behaves like production: two stacks started at the same moment both come up (ports are bound, then
 * announced), a forced port that is taken fails with one clear error and leaves no process behind, no secret is on
 * a command line, and a lying Content-Length gets its 413 at once.
 */
type TestStack = Awaited<ReturnType<typeof startTestStack>>;
let stacks: TestStack[] = [];
const printed: string[] = [];
let preferred: { edge: number; s3: number };
let groupsBefore: number[];

/** A port that was free a moment ago: both stacks prefer it, so one of them must fall back. */
async function recentlyFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  preferred = { edge: await recentlyFreePort(), s3: await recentlyFreePort() };
  groupsBefore = startedProcessGroups();
  const results = await Promise.allSettled(
    [0, 1].map(() =>
      startTestStack({
        edgePort: { preferred: preferred.edge },
        s3Port: { preferred: preferred.s3 },
        print: (line) => printed.push(line),
        runnerEnv: { WARMUP: 'false' },
      }),
    ),
  );
  stacks = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
});
afterAll(async () => {
  await Promise.all(stacks.map((s) => s.cleanup()));
});

describe('two stacks started at the same moment', () => {
  it('both come up, each on ports it bound itself', async () => {
    expect(stacks).toHaveLength(2);
    const edges = stacks.map((s) => portOf(s.edgeUrl));
    const s3s = stacks.map((s) => portOf(s.s3.endpoint));
    const runners = stacks.map((s) => portOf(s.runners[0].healthUrl));
    expect(new Set([...edges, ...s3s, ...runners]).size).toBe(6);
    // Both asked for the same ports: one got them, the other fell back to free ones instead of crashing.
    expect(edges.filter((p) => p === preferred.edge)).toHaveLength(1);
    expect(s3s.filter((p) => p === preferred.s3)).toHaveLength(1);
    for (const stack of stacks) {
      expect((await fetch(`${stack.edgeUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${stack.runners[0].healthUrl}/readyz`)).status).toBe(200);
    }
  });

  it('each edge uses its own fresh admin token, not the development value in wrangler.toml', async () => {
    for (const stack of stacks) {
      const tried = async (token: string) =>
        (await fetch(`${stack.edgeUrl}/v1/admin/queue`, { headers: { authorization: `Bearer ${token}` } })).status;
      expect(await tried(stack.adminToken)).toBe(200);
      expect(await tried('dev-admin-token-change-me')).toBe(401);
    }
  });
});

describe('secrets travel by file or environment, never argv', () => {
  it('no process of either stack has the admin token, runner secret or S3 secret on its command line', () => {
    const ours = processesInGroups(startedProcessGroups().filter((g) => !groupsBefore.includes(g)));
    const commands = ours.map((p) => p.cmdline).join('\n');
    // The scan covers the whole tree: wrangler, its workerd, and each runner.
    expect(commands).toContain('wrangler');
    expect(commands).toContain('workerd');
    expect(commands).toContain('gpu-runner/src/service/main.ts');
    for (const stack of stacks) {
      for (const secret of [stack.adminToken, stack.runnerSecret]) expect(commands).not.toContain(secret);
    }
    expect(commands).not.toMatch(/ADMIN_TOKEN|RUNNER_SECRET|S3_SECRET_ACCESS_KEY|S3RVER/);
  });

  it('the edge reads them from a file only its user can read, and no log line shows them', async () => {
    for (const stack of stacks) {
      expect((await stat(stack.secretsFile)).mode & 0o777).toBe(0o600);
      for (const secret of [stack.adminToken, stack.runnerSecret])
        expect(printed.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});

/** Sends `head` + `body` on a raw socket and reads one response; `null` status when none is complete in time. */
async function rawExchange(
  port: number,
  head: string,
  body: string,
  timeoutMs: number,
): Promise<{ status: number | null; body: string; ms: number }> {
  const t0 = Date.now();
  const socket = connect(port, '127.0.0.1');
  try {
    return await new Promise((resolve) => {
      let received = Buffer.alloc(0);
      const timer = setTimeout(
        () => resolve({ status: null, body: received.toString(), ms: Date.now() - t0 }),
        timeoutMs,
      );
      socket.on('connect', () => socket.write(head + body));
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headers = received.subarray(0, end).toString();
        const length = Number(/content-length:\s*(\d+)/i.exec(headers)?.[1] ?? Number.NaN);
        const payload = received.subarray(end + 4);
        if (!(payload.length >= length)) return;
        clearTimeout(timer);
        resolve({
          status: Number(headers.split(' ')[1]),
          body: payload.subarray(0, length).toString(),
          ms: Date.now() - t0,
        });
      });
    });
  } finally {
    socket.destroy();
  }
}

describe('a body that declares far more than it sends', () => {
  it('gets a complete 413 within 2 s (Content-Length: 999999999999, 2 bytes sent)', async () => {
    for (const stack of stacks) {
      for (const path of ['/v1/jobs', '/v1/images/generations']) {
        const head =
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${stack.apiKey}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n';
        const answer = await rawExchange(portOf(stack.edgeUrl), head, '{}', 5000);
        expect(answer.status, `${path}: ${answer.body}`).toBe(413);
        expect(answer.ms).toBeLessThan(2000);
        expect(JSON.parse(answer.body).error).toMatchObject({ code: 'request_too_large' });
      }
    }
  });

  it('a body that stalls below its declared (small) length is answered within 2 s too', async () => {
    const [stack] = stacks;
    const head =
      `POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${stack.apiKey}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 99999999\r\n\r\n';
    const answer = await rawExchange(portOf(stack.edgeUrl), head, '{}', 5000);
    expect(answer.status).toBe(413);
    expect(answer.ms).toBeLessThan(2000);
  });
});

describe('a forced port that is taken', () => {
  for (const server of ['edge', 's3'] as const) {
    it(`${server}: fails with PortInUseError naming the port and leaves no process or secrets file behind`, async () => {
      const taken = server === 'edge' ? portOf(stacks[0].edgeUrl) : portOf(stacks[0].s3.endpoint);
      const stateDir = await mkdtemp(join(tmpdir(), 'kd-port-taken-'));
      const before = startedProcessGroups();
      try {
        const error = await startStack({
          root: ROOT,
          stateDir,
          modelCacheDir: join(ROOT, '.local'),
          [server === 'edge' ? 'edgePort' : 's3Port']: taken,
        }).then(
          async (stack) => {
            await stack.stop();
            return null;
          },
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(PortInUseError);
        expect(error).toMatchObject({ server, port: taken });
        const groups = startedProcessGroups().filter((g) => !before.includes(g));
        if (server === 'edge') expect(groups.length).toBeGreaterThan(0);
        // SIGKILLed members of a group disappear a moment after the leader.
        const deadline = Date.now() + 3000;
        while (processesInGroups(groups).length > 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        expect(processesInGroups(groups)).toEqual([]);
        expect(listProcesses().filter((p) => p.cmdline.includes(stateDir))).toEqual([]);
        expect(await readdir(stateDir)).not.toContain('edge.env');
        expect(await readdir(stateDir)).not.toContain('stack.lock');
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    });
  }
});
