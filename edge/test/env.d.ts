import type { Env as GatewayEnv } from '../src/env';

declare global {
  namespace Cloudflare {
    /** `env` from `cloudflare:test` carries the gateway's bindings. */
    interface Env extends GatewayEnv {}
  }
}

declare module 'vitest' {
  /** Values provided by test/global-setup.ts. */
  export interface ProvidedContext {
    s3Port: number;
    hookPort: number;
  }
}
