/**
 * Tokenizer throughput: XLM-R and CLIP encoding a varied prompt set (the extended reference cases: many scripts,
 * long prompts) in batches of 8 at max_length 77, for about a second each, plus the time of one prompt at the
 * 4,000-character cap. Uses the tiny test vocabularies: the real ones (XLM-R's 250k pieces make a deeper trie, CLIP's
 * 48,894 merges make more merges per word) cost more per character, so read these figures as upper bounds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClipTokenizer } from '../src/tokenizers/clip-tokenizer.js';
import type { PromptTokenizer } from '../src/tokenizers/types.js';
import { loadXlmRobertaTokenizer } from '../src/tokenizers/xlm-roberta-tokenizer.js';
import { SHIPPED_FIXTURES } from '../src/verify/fixture-root.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/tokenizers', import.meta.url));
const prompts = (
  JSON.parse(readFileSync(join(fixtures, 'extended_cases.json'), 'utf8')) as { xlmr: { text: string }[] }
).xlmr.map((c) => c.text);
const BATCH = 8;
const SECONDS = 1;

function measure(name: string, tokenizer: PromptTokenizer): void {
  const batches: string[][] = [];
  for (let i = 0; i < prompts.length; i += BATCH) batches.push(prompts.slice(i, i + BATCH));
  const runAll = () => {
    let tokens = 0;
    for (const batch of batches) {
      for (const mask of tokenizer.encode(batch).attentionMask) for (const m of mask) tokens += m;
    }
    return tokens;
  };
  runAll(); // warm-up (JIT; CLIP's word cache, as in a running server)
  let tokens = 0;
  let rounds = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    tokens += runAll();
    rounds++;
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(
    JSON.stringify({
      name: 'tokenizer_throughput',
      tokenizer: name,
      prompts_per_s: Math.round((rounds * prompts.length) / seconds),
      tokens_per_s: Math.round(tokens / seconds),
      batch: BATCH,
      max_length: 77,
      note: 'tiny test vocabulary; tokens counted with the attention mask (special tokens included, padding not)',
    }),
  );
}

/** One prompt at the default character cap (mixed scripts), timed alone: the worst single request. */
function measureLongest(name: string, tokenizer: PromptTokenizer): void {
  const unit = 'a red cat on a blue sofa, красный кот, 一只红色的猫 🐱 ';
  const prompt = unit.repeat(Math.ceil(4000 / unit.length)).slice(0, 4000);
  tokenizer.encode([prompt]);
  const start = performance.now();
  tokenizer.encode([prompt]);
  console.log(
    JSON.stringify({
      name: 'tokenizer_longest_prompt',
      tokenizer: name,
      characters: prompt.length,
      ms: Number((performance.now() - start).toFixed(2)),
    }),
  );
}

const shipped = join(SHIPPED_FIXTURES, 'kandinsky21-tiny', 'tokenizers');
const xlmr = await loadXlmRobertaTokenizer(join(shipped, 'xlmr_tiny'));
const clip = await loadClipTokenizer(join(shipped, 'clip_tiny'));
measure('xlm-roberta', xlmr);
measure('clip', clip);
measureLongest('xlm-roberta', xlmr);
measureLongest('clip', clip);
