import type * as tf from '@tensorflow/tfjs';
import { ModuleLayer, type TorchLayout, withoutAllocation } from '../layers/module-layer.js';
import type { ComponentDefinition, ModelConfig } from '../models/component.js';

/** One checkpoint tensor feeding a weight, with the shape it must have in the checkpoint. */
export interface PlannedSource {
  torchKey: string;
  torchShape: number[];
  layout: TorchLayout;
}

/** One weight of a converted graph and where its values come from. */
export interface PlannedWeight {
  graph: string;
  /** The TF.js weight name: `<layer name>/<param name>`. */
  name: string;
  shape: number[];
  sources: PlannedSource[];
  concatAxis?: number;
}

/** The whole mapping of a component: graphs (topology only, no weights allocated) and their weights. */
export interface ComponentPlan {
  kind: string;
  graphs: Record<string, { topology: tf.io.ModelJSON['modelTopology']; weights: PlannedWeight[] }>;
  /** Checkpoint keys that exist in the reference but are not used at inference. */
  unusedKeys: string[];
  /** Checkpoint keys accepted when present and ignored (legacy buffers, see `ComponentDefinition.legacyBufferKeys`). */
  legacyBufferKeys: string[];
  /** Parameters converted (the sum over weights). */
  parameterCount: number;
}

/** Our layout's shape to the reference's. */
export function torchShapeOf(shape: number[], layout: TorchLayout): number[] {
  if (layout === 'conv2d') return [shape[3], shape[2], shape[0], shape[1]];
  if (layout === 'linear') return [shape[1], shape[0]];
  return shape;
}

/**
 * Builds the component's graphs without allocating weights and lists every weight with its checkpoint source(s).
 * Works for full-size configs: nothing but shapes is created.
 */
export function planComponent(def: ComponentDefinition, config: ModelConfig): ComponentPlan {
  const models = withoutAllocation(() => def.buildGraphs(config));
  const graphs: ComponentPlan['graphs'] = {};
  let parameterCount = 0;
  for (const [graph, model] of Object.entries(models)) {
    const weights: PlannedWeight[] = [];
    for (const layer of model.layers) {
      if (!(layer instanceof ModuleLayer)) {
        if (layer.weights.length > 0) throw new Error(`layer ${layer.name} has weights but is not a ModuleLayer`);
        continue;
      }
      for (const spec of layer.paramSpecs) {
        const parts = spec.sources.length;
        const sources = spec.sources.map((s) => {
          const shape = [...spec.shape];
          if (parts > 1) shape[spec.concatAxis ?? shape.length - 1] /= parts;
          return { torchKey: layer.torchKey(s.key), torchShape: torchShapeOf(shape, s.layout), layout: s.layout };
        });
        weights.push({
          graph,
          name: `${layer.name}/${spec.name}`,
          shape: spec.shape,
          sources,
          concatAxis: spec.concatAxis,
        });
        parameterCount += spec.shape.reduce((a, b) => a * b, 1);
      }
    }
    graphs[graph] = { topology: model.toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'], weights };
  }
  return {
    kind: def.kind,
    graphs,
    unusedKeys: def.unusedKeys?.(config) ?? [],
    legacyBufferKeys: def.legacyBufferKeys?.(config) ?? [],
    parameterCount,
  };
}

/** What is wrong between a plan and a checkpoint; empty lists mean a strict 1:1 match. */
export interface PlanMismatch {
  missing: string[];
  unexpected: string[];
  shapeMismatches: { key: string; expected: number[]; found: number[] }[];
  duplicates: string[];
}

/**
 * Checks a plan against a checkpoint's keys and shapes: every checkpoint key used exactly once (or declared unused)
 * and every weight filled with a tensor of the right shape.
 */
export function matchPlan(plan: ComponentPlan, checkpoint: Map<string, number[]>): PlanMismatch {
  const used = new Map<string, number[]>();
  const duplicates: string[] = [];
  for (const g of Object.values(plan.graphs)) {
    for (const w of g.weights) {
      for (const s of w.sources) {
        if (used.has(s.torchKey)) duplicates.push(s.torchKey);
        used.set(s.torchKey, s.torchShape);
      }
    }
  }
  const missing: string[] = [];
  const shapeMismatches: PlanMismatch['shapeMismatches'] = [];
  for (const [key, expected] of used) {
    const found = checkpoint.get(key);
    if (!found) missing.push(key);
    else if (found.length !== expected.length || found.some((d, i) => d !== expected[i])) {
      shapeMismatches.push({ key, expected, found });
    }
  }
  for (const key of plan.unusedKeys) if (!checkpoint.has(key)) missing.push(key);
  const declaredUnused = new Set([...plan.unusedKeys, ...(plan.legacyBufferKeys ?? [])]);
  const unexpected = [...checkpoint.keys()].filter((k) => !used.has(k) && !declaredUnused.has(k));
  return { missing, unexpected, shapeMismatches, duplicates };
}

/** Formats a mismatch as one readable error message, or returns undefined for a clean match. */
export function describeMismatch(m: PlanMismatch, limit = 20): string | undefined {
  const parts: string[] = [];
  const list = (label: string, items: string[]) => {
    if (items.length === 0) return;
    const shown = items.slice(0, limit).join(', ');
    parts.push(`${items.length} ${label}: ${shown}${items.length > limit ? `, … (${items.length - limit} more)` : ''}`);
  };
  list('missing keys', m.missing);
  list('unexpected keys', m.unexpected);
  list('keys used twice', m.duplicates);
  list(
    'shape mismatches',
    m.shapeMismatches.map((s) => `${s.key} expected [${s.expected}] found [${s.found}]`),
  );
  return parts.length ? parts.join('; ') : undefined;
}
