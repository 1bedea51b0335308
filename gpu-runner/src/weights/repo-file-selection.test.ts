import { describe, expect, it } from 'vitest';
import { isSafeRepoPath, planRepoDownload, type RepoFile, weightFileKind } from './repo-file-selection.js';

const files = (...paths: string[]): RepoFile[] => paths.map((path) => ({ path, size: 1 }));

describe('weightFileKind', () => {
  it.each([
    ['diffusion_pytorch_model.safetensors', { format: 'safetensors', variant: null, index: false, shard: false }],
    ['diffusion_pytorch_model.fp16.bin', { format: 'bin', variant: 'fp16', index: false, shard: false }],
    ['model-00001-of-00002.safetensors', { format: 'safetensors', variant: null, index: false, shard: true }],
    ['model.fp16-00001-of-00002.safetensors', { format: 'safetensors', variant: 'fp16', index: false, shard: true }],
    [
      'diffusion_pytorch_model-00001-of-00002.fp16.safetensors',
      { format: 'safetensors', variant: 'fp16', index: false, shard: true },
    ],
    ['pytorch_model.bin.index.json', { format: 'bin', variant: null, index: true, shard: false }],
    ['model.safetensors.index.fp16.json', { format: 'safetensors', variant: 'fp16', index: true, shard: false }],
    [
      'diffusion_pytorch_model.fp16.safetensors.index.json',
      { format: 'safetensors', variant: 'fp16', index: true, shard: false },
    ],
  ])('%s', (name, kind) => {
    expect(weightFileKind(name)).toEqual(kind);
  });

  it.each(['training_args.bin', 'optimizer.bin', 'config.json', 'diffusion_flax_model.msgpack', 'model.onnx'])(
    'ignores %s',
    (name) => expect(weightFileKind(name)).toBeNull(),
  );
});

describe('planRepoDownload', () => {
  const repo = files(
    'README.md',
    '.gitattributes',
    'model_index.json',
    'unet/config.json',
    'unet/diffusion_pytorch_model.bin',
    'unet/diffusion_pytorch_model.safetensors',
    'unet/diffusion_pytorch_model.fp16.safetensors',
    'unet/diffusion_flax_model.msgpack',
    'text_encoder/config.json',
    'text_encoder/pytorch_model.bin',
    'prior/config.json',
    'prior/model.safetensors.index.json',
    'prior/model-00001-of-00002.safetensors',
    'prior/model-00002-of-00002.safetensors',
    'tokenizer/sentencepiece.bpe.model',
    'tokenizer/tokenizer_config.json',
    'scheduler/scheduler_config.json',
    'images/example.png',
  );

  it('takes safetensors over .bin, the default weights without a variant, and the small support files', () => {
    expect(planRepoDownload(repo)).toEqual([
      { folder: '', weights: undefined, other: ['model_index.json'] },
      {
        folder: 'prior',
        weights: {
          format: 'safetensors',
          variant: null,
          index: 'prior/model.safetensors.index.json',
          files: ['prior/model-00001-of-00002.safetensors', 'prior/model-00002-of-00002.safetensors'],
        },
        other: ['prior/config.json'],
      },
      { folder: 'scheduler', weights: undefined, other: ['scheduler/scheduler_config.json'] },
      {
        folder: 'text_encoder',
        weights: { format: 'bin', variant: null, files: ['text_encoder/pytorch_model.bin'] },
        other: ['text_encoder/config.json'],
      },
      {
        folder: 'tokenizer',
        weights: undefined,
        other: ['tokenizer/sentencepiece.bpe.model', 'tokenizer/tokenizer_config.json'],
      },
      {
        folder: 'unet',
        weights: { format: 'safetensors', variant: null, files: ['unet/diffusion_pytorch_model.safetensors'] },
        other: ['unet/config.json'],
      },
    ]);
  });

  it('takes the requested variant where a folder has it and falls back to the default weights elsewhere', () => {
    const plan = planRepoDownload(repo, { variant: 'fp16' });
    expect(plan.find((p) => p.folder === 'unet')?.weights).toEqual({
      format: 'safetensors',
      variant: 'fp16',
      files: ['unet/diffusion_pytorch_model.fp16.safetensors'],
    });
    expect(plan.find((p) => p.folder === 'text_encoder')?.weights?.variant).toBeNull();
  });
});

describe('isSafeRepoPath', () => {
  it.each(['model_index.json', 'unet/diffusion_pytorch_model.safetensors', 'a/b/c.txt'])('accepts %s', (p) =>
    expect(isSafeRepoPath(p)).toBe(true),
  );
  it.each(['', '../escape', 'unet/../../escape', '/etc/passwd', 'a//b', './a', 'a\\b', 'a\nb'])('refuses %j', (p) =>
    expect(isSafeRepoPath(p)).toBe(false),
  );
});
