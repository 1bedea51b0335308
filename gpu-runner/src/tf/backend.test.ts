import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';

describe('backend selection', () => {
  it('falls back past the tfjs-node packages (not installable here) and reports why', async () => {
    const info = await initBackend();
    // On this machine neither tfjs-node package is installed; in the GPU container node-gpu wins.
    if (info.choice === 'wasm') {
      expect(info.skipped.map((s) => s.choice)).toEqual(['node-gpu', 'node']);
      expect(info.skipped[0].reason).toMatch(/not installed|libtensorflow|cannot|error/i);
      expect(info.memoryLimitBytes).toBe(4 * 1024 ** 3);
    }
    expect(tf.getBackend()).toBe(info.tfBackend);
  });

  it('honours an explicit choice and logs it', async () => {
    const lines: string[] = [];
    const info = await initBackend({ prefer: 'cpu', log: (m) => lines.push(m) });
    expect(info.choice).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(lines[0]).toMatch(/^tfjs backend: cpu/);
    expect(info.threads).toBe(1);
    const wasm = await initBackend({ prefer: 'wasm', log: (m) => lines.push(m) });
    expect(tf.getBackend()).toBe('wasm');
    // Tests run the stock single-threaded build unless a caller asks for more (the runner asks for 'auto').
    expect(wasm.threads).toBe(1);
    expect(lines[1]).toMatch(/^tfjs backend: wasm \(wasm, 1 thread\)/);
  });

  it('rejects an unknown choice and fails clearly when a forced backend is unavailable', async () => {
    await expect(initBackend({ prefer: 'gpu' })).rejects.toThrow(
      /KANDINSKY_BACKEND must be one of node-gpu, node, wasm, cpu/,
    );
    const forced = await initBackend({ prefer: 'node-gpu' }).catch((e: Error) => e);
    if (forced instanceof Error) expect(forced.message).toMatch(/no usable TF\.js backend: node-gpu: /);
    await initBackend({ prefer: 'wasm' });
  });
});
