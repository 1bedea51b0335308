import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

/** A file of a served repository, described the way the hub's tree API does. */
export interface HubTreeEntry {
  type: 'file' | 'directory';
  path: string;
  size: number;
  /** Git blob id (SHA-1 of `blob <size>\0<content>`) of the file, or of the LFS pointer for LFS files. */
  oid: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

/** One request the server answered, for tests that check resumption. */
export interface HubRequestLog {
  method: string;
  path: string;
  range?: string;
  /** The Authorization header, when one was sent. */
  authorization?: string;
}

/** Faults the server injects into file downloads, keyed by `<owner>/<name>/<file path>`. */
export interface HubFaults {
  /** Cut the connection after this many body bytes, for the next `times` downloads of the file. */
  cutAfter?: Map<string, { bytes: number; times: number }>;
  /** Flip one byte in the middle of the served content, for the next `times` downloads (Infinity = always). */
  corrupt?: Map<string, { times: number }>;
}

/** Files stored as Git LFS on the hub: weights and anything large. */
function isLfs(path: string, size: number): boolean {
  return /\.(bin|safetensors|pt|pth|ckpt|msgpack|h5|onnx|model)$/.test(path) || size > 1024 * 1024;
}

/**
 * A read-only HTTP server that serves folders in the Hugging Face Hub's layout: `<root>/<owner>/<name>/...` appears as
 * model repo `owner/name` at every revision, with the model info API (`/api/models/<repo>/revision/<rev>`: the commit
 * `sha`, a hash of the listing), the tree API (`/api/models/<repo>/tree/<rev>[/<path>]`, sizes, git and LFS SHA-256
 * oids) and file downloads (`/<repo>/resolve/<rev>/<path>`, with HTTP Range). It is what the pull
 * tests run against (no network), and can serve a mirrored repo to machines without hub access. Binds 127.0.0.1.
 */
export class LocalHubServer {
  /** Every request answered, in order. */
  readonly requests: HubRequestLog[] = [];
  readonly faults: Required<HubFaults> = { cutAfter: new Map(), corrupt: new Map() };
  private server?: Server;
  private readonly trees = new Map<string, Promise<HubTreeEntry[]>>();

  constructor(private readonly root: string) {}

  /** Starts listening on 127.0.0.1 (an ephemeral port unless given) and returns the base URL. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops the server and drops open connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The tree of a repository as the hub's API lists it (recursive). */
  async tree(repo: string): Promise<HubTreeEntry[]> {
    let tree = this.trees.get(repo);
    if (!tree) {
      tree = listTree(join(this.root, ...repo.split('/')));
      this.trees.set(repo, tree);
    }
    return tree;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = decodeURIComponent(url.pathname);
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    if (path.split('/').includes('..')) return notFound(res, 'RepoNotFound');

    const infoMatch = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    if (infoMatch) {
      const [, repo] = infoMatch;
      const tree = await this.tree(repo).catch(() => undefined);
      if (!tree) return notFound(res, 'RepoNotFound');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          _id: repo,
          id: repo,
          sha: commitOf(tree),
          private: false,
          lastModified: new Date(0).toISOString(),
        }),
      );
      return;
    }

    const treeMatch = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (treeMatch) {
      const [, repo, , folder] = treeMatch;
      const tree = await this.tree(repo).catch(() => undefined);
      if (!tree) return notFound(res, 'RepoNotFound');
      const recursive = url.searchParams.get('recursive') === 'true';
      const prefix = folder ? `${folder.replace(/\/$/, '')}/` : '';
      const items = tree.filter((e) => {
        if (!e.path.startsWith(prefix)) return false;
        return recursive || !e.path.slice(prefix.length).includes('/');
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(items));
      return;
    }

    const fileMatch = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (!fileMatch) return notFound(res, 'RepoNotFound');
    const [, repo, , filePath] = fileMatch;
    const entry = (await this.tree(repo).catch(() => [] as HubTreeEntry[])).find(
      (e) => e.type === 'file' && e.path === filePath,
    );
    if (!entry) return notFound(res, 'EntryNotFound');
    await this.sendFile(
      req,
      res,
      `${repo}/${filePath}`,
      join(this.root, ...repo.split('/'), ...filePath.split('/')),
      entry,
    );
  }

  private async sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    absPath: string,
    entry: HubTreeEntry,
  ): Promise<void> {
    const size = entry.size;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
    if (req.headers.range && !range) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        res.end();
        return;
      }
      status = 206;
    }
    const etag = `"${entry.lfs?.oid ?? entry.oid}"`;
    res.writeHead(status, {
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
      etag,
      ...(entry.lfs ? { 'x-linked-etag': etag, 'x-linked-size': String(size) } : {}),
      ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // A 1-byte probe (what @huggingface/hub sends to learn the size) is not a download: no faults for it.
    const isProbe = end - start + 1 === 1;
    const cut = isProbe ? undefined : takeFault(this.faults.cutAfter, key);
    const corrupt = !isProbe && takeFault(this.faults.corrupt, key) !== undefined;
    const flipAt = Math.floor(size / 2);
    let sent = 0;
    const stream = createReadStream(absPath, { start, end });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let piece = chunk;
      if (corrupt && flipAt >= start + sent && flipAt < start + sent + piece.length) {
        piece = Buffer.from(piece);
        piece[flipAt - start - sent] ^= 0xff;
      }
      if (cut && sent + piece.length > cut.bytes) {
        const keep = cut.bytes - sent;
        await new Promise<void>((resolve) => res.write(piece.subarray(0, keep), () => resolve()));
        stream.destroy();
        res.socket?.destroy();
        return;
      }
      sent += piece.length;
      if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  }
}

function takeFault<T extends { times: number }>(faults: Map<string, T>, key: string): T | undefined {
  const fault = faults.get(key);
  if (!fault || fault.times <= 0) return undefined;
  fault.times -= 1;
  return fault;
}

function notFound(res: ServerResponse, code: 'RepoNotFound' | 'EntryNotFound'): void {
  res.writeHead(404, { 'content-type': 'application/json', 'x-error-code': code });
  res.end(JSON.stringify({ error: code === 'EntryNotFound' ? 'Entry not found' : 'Repository not found' }));
}

async function listTree(repoDir: string): Promise<HubTreeEntry[]> {
  const out: HubTreeEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const abs = join(dir, name);
      const path = relative(repoDir, abs).split(sep).join('/');
      const st = await stat(abs);
      if (st.isDirectory()) {
        out.push({ type: 'directory', path, size: 0, oid: createHash('sha1').update(path).digest('hex') });
        await walk(abs);
        continue;
      }
      const content = await readFile(abs);
      if (isLfs(path, st.size)) {
        const sha256 = createHash('sha256').update(content).digest('hex');
        const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${st.size}\n`;
        out.push({
          type: 'file',
          path,
          size: st.size,
          oid: gitBlobSha1(Buffer.from(pointer)),
          lfs: { oid: sha256, size: st.size, pointerSize: pointer.length },
        });
      } else {
        out.push({ type: 'file', path, size: st.size, oid: gitBlobSha1(content) });
      }
    }
  };
  await walk(repoDir);
  return out;
}

/** A stand-in commit id: every revision of a served folder is its current content. */
function commitOf(tree: HubTreeEntry[]): string {
  return createHash('sha1').update(JSON.stringify(tree)).digest('hex');
}

/** Git's blob id: SHA-1 over `blob <size>\0` followed by the content. */
export function gitBlobSha1(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}
