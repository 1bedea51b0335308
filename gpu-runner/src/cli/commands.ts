/**
 * Subcommands that live outside this folder register themselves here, so `main.ts` stays the one dispatcher.
 * Each import is lazy in effect: the modules only register a loader.
 */
import { registerCommand } from './main.js';

registerCommand(
  'weights',
  'pull (download, verify, convert) the hub weights, or upload a converted model to S3',
  async () => (await import('../weights/pull-command.js')).weightsCommand,
);

registerCommand(
  'generate',
  'make images: text2image, variation, fuse, img2img or inpaint, on converted weights',
  async () => (await import('./generate-command.js')).generateCommand,
);

registerCommand(
  'verify',
  'prove on this backend that the port computes Kandinsky 2.1 (tiny suite; --full: full-size seeded components)',
  async () => (await import('./verify-command.js')).verifyCommand,
);
