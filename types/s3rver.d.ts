// Types for the parts of @20minutes/s3rver (a SigV4-verifying local S3 server, used by tests and the local stack) that
// this repository uses. One declaration, included by each tsconfig whose files import the package.
declare module '@20minutes/s3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    configureBuckets?: { name: string; configs?: unknown[] }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    /** Creates the buckets of `configureBuckets` (what `run()` does before listening). */
    configureBuckets(): Promise<void>;
    /** The request handler (Koa's), for serving through an http.Server of one's own. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    /** Its winston logger, closed by its own server's 'close' handler. */
    logger: { exceptions: { unhandle(): void }; close(): void };
  }
}
