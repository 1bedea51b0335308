import type { ModelConfig } from '../component.js';

/** Feed-forward activations the encoders implement, by their transformers names (`gelu` is the exact erf GELU). */
export const SUPPORTED_ACTIVATIONS = ['gelu', 'quick_gelu'] as const;

/** Throws unless `config[key]` is a positive integer. */
export function requirePositiveInt(config: ModelConfig, key: string, model: string): number {
  const v = config[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`${model}: config "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Throws unless `config[key]` is a positive number. */
export function requirePositive(config: ModelConfig, key: string, model: string): number {
  const v = config[key];
  if (typeof v !== 'number' || !(v > 0))
    throw new Error(`${model}: config "${key}" must be a positive number, got ${v}`);
  return v;
}

/** Throws unless the activation is one the encoders implement. */
export function requireActivation(config: ModelConfig, model: string): string {
  const act = config.hidden_act;
  if (typeof act !== 'string' || !(SUPPORTED_ACTIVATIONS as readonly string[]).includes(act)) {
    throw new Error(
      `${model}: unsupported hidden_act ${JSON.stringify(act)}; supported: ${SUPPORTED_ACTIVATIONS.join(', ')}`,
    );
  }
  return act;
}

/** Throws unless the heads split the hidden size evenly. */
export function requireHeadSplit(hidden: number, heads: number, model: string): void {
  if (hidden % heads !== 0)
    throw new Error(`${model}: hidden_size ${hidden} is not divisible by ${heads} attention heads`);
}
