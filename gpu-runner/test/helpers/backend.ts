import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/tf/backend.js';

/**
 * Tests run on the wasm backend (what this machine has; tfjs-node is never required by tests). Set
 * KANDINSKY_BACKEND=cpu to check the pure-JS backend instead.
 */
export async function useTestBackend(): Promise<string> {
  const info = await initBackend({ prefer: process.env.KANDINSKY_BACKEND || 'wasm' });
  await tf.ready();
  return info.choice;
}
