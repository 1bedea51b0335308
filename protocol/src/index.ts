/**
 * `@kandinsky/protocol`: what crosses the edge <-> runner boundary, defined once and imported by both sides. The
 * request contract (`generation-request.ts`: what a client may ask; `generation-params.ts`: what a runner receives),
 * its limits, the seed rule, the runner API bodies and how runners sign them (docs/runner-protocol.md) and the job failure codes.
 */
export * from './generation-params.js';
export * from './generation-request.js';
export * from './img2img-schedule.js';
export * from './job-errors.js';
export * from './limits.js';
export * from './mask-alpha.js';
export * from './openai-streaming.js';
export * from './previews.js';
export * from './runner-api.js';
export * from './runner-signing.js';
export * from './seeds.js';
