import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ComponentPlan, describeMismatch, matchPlan, planComponent } from '../../src/convert/plan.js';
import type { ModelConfig } from '../../src/models/component.js';
import { componentFor } from '../../src/models/registry.js';
import { FIXTURES } from './tensors.js';

const DIR = join(FIXTURES, 'full-keys');

/** Every key and shape of a full-size reference component (`<name>.txt`: `key<TAB>[d0, d1, ...]`). */
export function fullSizeKeys(name: string): Map<string, number[]> {
  const lines = readFileSync(join(DIR, `${name}.txt`), 'utf8')
    .split('\n')
    .filter(Boolean);
  return new Map(
    lines.map((l) => {
      const [key, shape] = l.split('\t');
      return [key, JSON.parse(shape) as number[]];
    }),
  );
}

/** The full-size reference config of a component. */
export function fullSizeConfig(name: string): ModelConfig {
  return JSON.parse(readFileSync(join(DIR, `${name}_config.json`), 'utf8'));
}

/** The reference parameter count of a full-size component. */
export function fullSizeParameterCount(name: string): number {
  return JSON.parse(readFileSync(join(DIR, 'param_counts.json'), 'utf8'))[name].parameters;
}

/**
 * Plans the full-size component (no weights allocated) and checks it against the reference key list.
 * Returns the plan, the mismatch description (undefined when exact) and the parameter total including
 * keys the component declares unused.
 */
export function checkFullSize(name: string): { plan: ComponentPlan; problem?: string; parameters: number } {
  const config = fullSizeConfig(name);
  const plan = planComponent(componentFor(config), config);
  const keys = fullSizeKeys(name);
  const problem = describeMismatch(matchPlan(plan, keys));
  const unused = plan.unusedKeys.reduce((a, k) => a + (keys.get(k) ?? []).reduce((x, y) => x * y, 1), 0);
  return { plan, problem, parameters: plan.parameterCount + unused };
}
