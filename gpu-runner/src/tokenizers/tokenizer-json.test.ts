import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../io/errors.js';
import { SHIPPED_FIXTURES } from '../verify/fixture-root.js';
import { loadClipTokenizer } from './clip-tokenizer.js';
import { loadXlmRobertaTokenizer } from './xlm-roberta-tokenizer.js';

// clip_tiny_json / xlmr_tiny_json hold tokenizer.json files built from the tiny slow-tokenizer files the way
// transformers' converters build them (make_tokenizer_json.py); the expected outputs are the slow reference's.
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/tokenizers', import.meta.url));
// The tiny vocabulary the json files were made from, and its reference cases (shipped with the package).
const SHIPPED = join(SHIPPED_FIXTURES, 'kandinsky21-tiny', 'tokenizers');
interface ReferenceCase {
  text: string;
  input_ids: number[];
  attention_mask: number[];
}
const readCases = (file: string) =>
  JSON.parse(readFileSync(join(file === 'cases.json' ? SHIPPED : FIXTURES, file), 'utf8')) as {
    clip: ReferenceCase[];
    xlmr: ReferenceCase[];
  };
const allCases = (name: 'clip' | 'xlmr') => [
  ...readCases('cases.json')[name],
  ...readCases('extended_cases.json')[name],
];

describe.each([
  ['XLM-R', 'xlmr' as const, () => loadXlmRobertaTokenizer(join(FIXTURES, 'xlmr_tiny_json'))],
  ['CLIP', 'clip' as const, () => loadClipTokenizer(join(FIXTURES, 'clip_tiny_json'))],
])('%s tokenizer loaded from tokenizer.json', (_name, key, load) => {
  it('reproduces every reference case (cases.json and extended_cases.json)', async () => {
    const tokenizer = await load();
    for (const reference of allCases(key)) {
      const batch = tokenizer.encode([reference.text], { maxLength: reference.input_ids.length });
      expect({ text: reference.text, ids: Array.from(batch.inputIds[0]) }).toEqual({
        text: reference.text,
        ids: reference.input_ids,
      });
      expect(Array.from(batch.attentionMask[0])).toEqual(reference.attention_mask);
    }
  });
});

describe('tokenizer.json problems', () => {
  async function folderWith(json: unknown): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'tokenizer-json-'));
    await writeFile(join(dir, 'tokenizer.json'), typeof json === 'string' ? json : JSON.stringify(json));
    return dir;
  }
  const xlmrJson = async () => JSON.parse(await readFile(join(FIXTURES, 'xlmr_tiny_json/tokenizer.json'), 'utf8'));
  const clipJson = async () => JSON.parse(await readFile(join(FIXTURES, 'clip_tiny_json/tokenizer.json'), 'utf8'));

  it('rejects files that are not tokenizer.json', async () => {
    await expect(loadXlmRobertaTokenizer(await folderWith('{'))).rejects.toThrow(/tokenizer\.json: is not valid JSON/);
    await expect(loadClipTokenizer(await folderWith({ version: '1.0' }))).rejects.toThrow(/no "model" object/);
  });

  it('rejects a model of the wrong kind for the tokenizer', async () => {
    await expect(loadXlmRobertaTokenizer(await folderWith(await clipJson()))).rejects.toThrow(
      /not an XLM-R Unigram tokenizer\.json: model type is BPE/,
    );
    await expect(loadClipTokenizer(await folderWith(await xlmrJson()))).rejects.toThrow(
      /not a CLIP BPE tokenizer\.json: model type is Unigram/,
    );
  });

  it('rejects Unigram vocabularies without the fairseq layout and unsupported options', async () => {
    const reordered = await xlmrJson();
    reordered.model.vocab = [reordered.model.vocab[1], reordered.model.vocab[0], ...reordered.model.vocab.slice(2)];
    await expect(loadXlmRobertaTokenizer(await folderWith(reordered))).rejects.toThrow(/id 0 is "<pad>"/);

    const first = await xlmrJson();
    first.pre_tokenizer.prepend_scheme = 'first';
    await expect(loadXlmRobertaTokenizer(await folderWith(first))).rejects.toThrow(ModelFileError);

    const byteFallback = await xlmrJson();
    byteFallback.model.byte_fallback = true;
    await expect(loadXlmRobertaTokenizer(await folderWith(byteFallback))).rejects.toThrow(/byte_fallback/);
  });

  it('prefers the slow-tokenizer files when both are present', async () => {
    // A folder with a broken tokenizer.json next to the real sentencepiece model still loads from the model.
    const dir = await folderWith('not json');
    await writeFile(
      join(dir, 'sentencepiece.bpe.model'),
      new Uint8Array(readFileSync(join(SHIPPED, 'xlmr_tiny/sentencepiece.bpe.model'))),
    );
    const tokenizer = await loadXlmRobertaTokenizer(dir);
    expect(tokenizer.vocabSize).toBe(182);
  });
});
