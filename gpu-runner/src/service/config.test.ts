import { describe, expect, it } from 'vitest';
import { loadRunnerConfig, RUNNER_ENV_VARS, RunnerConfigError } from './config.js';

const valid = {
  EDGE_URL: 'http://127.0.0.1:8787/',
  RUNNER_SECRET: 'dev-runner-secret-change-me',
  KANDINSKY_WEIGHTS: '/models/kandinsky',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_BUCKET: 'kandinsky',
  S3_ACCESS_KEY_ID: 'key',
  S3_SECRET_ACCESS_KEY: 'secret',
};

describe('loadRunnerConfig', () => {
  it('applies defaults, trims the edge URL and derives the runner id from the host name', () => {
    const c = loadRunnerConfig(valid, 'gpu-node.example:1');
    expect(c.EDGE_URL).toBe('http://127.0.0.1:8787');
    expect(c.RUNNER_ID).toBe('gpu-node.example-1');
    expect(c.PORT).toBe(9100);
    expect(c.RUNNER_TASKS).toEqual(['text2image', 'variation', 'fuse', 'img2img', 'inpaint']);
    expect(c.RUNNER_MAX_BATCH).toBe(1);
    expect(c.WARMUP).toBe(true);
  });

  it('parses numbers, lists and booleans from strings', () => {
    const c = loadRunnerConfig({
      ...valid,
      PORT: '0',
      RUNNER_TASKS: 'inpaint, text2image',
      WARMUP: '0',
      S3_UPLOAD_ATTEMPTS: '2',
    });
    expect([c.PORT, c.RUNNER_TASKS, c.WARMUP, c.S3_UPLOAD_ATTEMPTS]).toEqual([0, ['inpaint', 'text2image'], false, 2]);
  });

  it('lists every problem at once, naming the variables', () => {
    let error: unknown;
    try {
      loadRunnerConfig({
        ...valid,
        EDGE_URL: 'ftp://x',
        RUNNER_SECRET: 'short',
        S3_BUCKET: '',
        PORT: '70000',
        RUNNER_TASKS: 'paint',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RunnerConfigError);
    const message = (error as Error).message;
    for (const name of ['EDGE_URL', 'RUNNER_SECRET', 'S3_BUCKET', 'PORT', 'RUNNER_TASKS'])
      expect(message).toContain(name);
  });

  it('treats blank variables as unset', () => {
    expect(() => loadRunnerConfig({ ...valid, KANDINSKY_WEIGHTS: '' })).toThrow(/KANDINSKY_WEIGHTS is required/);
    expect(loadRunnerConfig({ ...valid, KANDINSKY_BACKEND: '' }).KANDINSKY_BACKEND).toBeUndefined();
  });

  it('exports the variable names for manifests', () => {
    expect(RUNNER_ENV_VARS).toContain('EDGE_URL');
    expect(RUNNER_ENV_VARS).toContain('S3_SECRET_ACCESS_KEY');
    expect(new Set(RUNNER_ENV_VARS).size).toBe(RUNNER_ENV_VARS.length);
  });
});
