import { join } from 'node:path';
import type { HostTensor } from '../io/safetensors.js';
import type { PromptTokenizer } from '../tokenizers/index.js';
import type { CheckContext } from './component-check.js';
import { exactCheck } from './component-check.js';
import type { CheckResult } from './report.js';

/**
 * When a text encoder's fixture metadata lists the prompts its `input_ids` were made from (`meta.prompts`, the tiny
 * set), tokenizes them with the set's own tokenizer and requires the fixture's ids (and mask) exactly: the ids the
 * model is checked on then demonstrably come from the metadata, not from anything fixed in this code.
 */
export async function promptTokenChecks(
  inputs: Map<string, HostTensor>,
  ctx: CheckContext,
  load: (tokenizersDir: string, maxLength: number) => Promise<PromptTokenizer>,
  opts: { mask: boolean },
): Promise<CheckResult[]> {
  const prompts = ctx.meta.prompts;
  const ids = inputs.get('input_ids');
  if (!Array.isArray(prompts) || !ctx.tinyRoot || !ids) return [];
  const tokenizer = await load(join(ctx.tinyRoot, 'tokenizers'), ids.shape[1]);
  const batch = tokenizer.encode(prompts as string[]);
  const label = `the ${prompts.length} prompts of meta.json`;
  const out = [exactCheck('input_ids from meta.prompts', flat(batch.inputIds), ids.data, `tokenized ${label}`)];
  const mask = inputs.get('attention_mask');
  if (opts.mask && mask) {
    out.push(exactCheck('attention_mask from meta.prompts', flat(batch.attentionMask), mask.data, `of ${label}`));
  }
  return out;
}

function flat(rows: ArrayLike<number>[]): number[] {
  return rows.flatMap((r) => Array.from(r));
}
