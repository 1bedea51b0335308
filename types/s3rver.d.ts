// Types for the parts of @20minutes/s3rver (a SigV4-verifying local S3 server, used by tests and the local stack) that
// this repository uses. One declaration, included by each tsconfig whose files import the package.
declare module '@20minutes/s3rver' {
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
  }
}
