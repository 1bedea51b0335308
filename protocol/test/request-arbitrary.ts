import fc from 'fast-check';
import { GENERATION_LIMITS as L, OUTPUT_FORMATS, SCHEDULERS, TASKS } from '../src/limits.js';

/**
 * fast-check generators of generation requests across the whole contract: every task, every field absent, valid, at
 * a boundary, just past one, or of the wrong type, plus unknown fields. Used by the contract's own tests and by the
 * end-to-end property test that sends them through the edge to a runner.
 *
 * `cheap` biases the valid values that cost compute (sizes, steps, n) toward small ones, so requests that pass can be
 * run on real models in a test; boundaries (1024 px, 150 steps) still appear, at a low rate.
 */
export interface RequestArbitraryOptions<I> {
  /** Image references (e.g. base64 strings of valid and broken images). */
  image: fc.Arbitrary<I>;
  /** Favour small sizes, few steps and few images (for end-to-end runs). */
  cheap?: boolean;
}

/** A generated request: `{ task, input }` as a client would send it (JSON-able apart from `I`). */
export interface GeneratedRequest<I> {
  task: string;
  input: Record<string, unknown | I>;
}

const text = fc.oneof(
  { weight: 16, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
  { weight: 6, arbitrary: fc.constantFrom('a red cat, 4k photo', 'красный кот на синем диване', '猫', '🐱 + 🌈') },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '\n\t') },
  { weight: 1, arbitrary: fc.constant('x'.repeat(L.maxPromptChars)) },
  { weight: 1, arbitrary: fc.constant('y'.repeat(L.maxPromptChars + 1)) },
);
const wrongType = fc.constantFrom<unknown>(null, true, [], {}, '1', 1.5, -1);

/** Picks a value: mostly from `valid`, sometimes (1 in 9) a boundary neighbour or a wrong type. */
function field<T>(valid: fc.Arbitrary<T>, edges: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 24, arbitrary: valid },
    { weight: 2, arbitrary: fc.constantFrom(...edges) },
    { weight: 1, arbitrary: wrongType },
  );
}

function samplingArbitraries(cheap: boolean) {
  const smallSide = cheap ? fc.constantFrom(64, 65, 100, 128) : fc.integer({ min: L.minSide, max: L.maxSide });
  const sides = fc.oneof(
    { weight: cheap ? 80 : 20, arbitrary: smallSide },
    { weight: 1, arbitrary: fc.constant(L.maxSide) },
  );
  const steps = cheap ? fc.integer({ min: 1, max: 4 }) : fc.integer({ min: L.minSteps, max: L.maxSteps });
  const priorSteps = cheap
    ? fc.integer({ min: 2, max: 3 })
    : fc.integer({ min: L.minPriorSteps, max: L.maxPriorSteps });
  return {
    negative_prompt: field(text, [null, 5]),
    n: field(cheap ? fc.integer({ min: 1, max: 2 }) : fc.integer({ min: 1, max: L.maxImages }), [
      0,
      L.maxImages + 1,
      2.5,
    ]),
    size: field(
      fc.tuple(sides, sides).map(([w, h]) => `${w}x${h}`),
      ['63x64', `${L.maxSide + 1}x64`, '64', '64x', 'axb', 512, '0x0'],
    ),
    width: field(sides, [L.minSide - 1, L.maxSide + 1, 0, 64.5]),
    height: field(sides, [L.minSide - 1, L.maxSide + 1, 0, 64.5]),
    seed: field(fc.oneof(fc.integer({ min: 0, max: L.maxSeed }), fc.constantFrom(0, L.maxSeed, L.maxSeed - 1)), [
      L.maxSeed + 1,
      -1,
      0.5,
      2 ** 53,
    ]),
    steps: field(
      fc.oneof({ weight: 30, arbitrary: steps }, { weight: cheap ? 0 : 1, arbitrary: fc.constant(L.maxSteps) }),
      [0, L.maxSteps + 1, 2.5],
    ),
    guidance_scale: field(fc.double({ min: L.minGuidance, max: L.maxGuidance, noNaN: true }), [0.99, 20.01, 0]),
    prior_steps: field(
      fc.oneof(
        { weight: 30, arbitrary: priorSteps },
        { weight: cheap ? 0 : 1, arbitrary: fc.constant(L.maxPriorSteps) },
      ),
      [1, 0, L.maxPriorSteps + 1],
    ),
    prior_guidance_scale: field(fc.double({ min: L.minGuidance, max: L.maxGuidance, noNaN: true }), [0.5, 21]),
    scheduler: field(fc.constantFrom(...SCHEDULERS), ['euler', 'DDIM', '']),
    output_format: field(fc.constantFrom(...OUTPUT_FORMATS), ['gif', 'PNG']),
  };
}

/** An object with each of `fields` present with probability `present[key] ?? 0.5` (its generated value) or absent. */
function optionalRecord(
  fields: Record<string, fc.Arbitrary<unknown>>,
  present: Record<string, number> = {},
): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(([key, arb]) => {
    const weight = Math.round((present[key] ?? 0.5) * 100);
    return fc
      .oneof({ weight, arbitrary: arb }, { weight: 100 - weight, arbitrary: fc.constant(undefined) })
      .map((value) => [key, value] as const);
  });
  return fc.tuple(...entries).map((pairs) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of pairs) if (value !== undefined) out[key] = value;
    return out;
  });
}

/**
 * Generated requests over every task (and, rarely, an unknown task), with the task's own fields (prompt, image,
 * mask, strength, inputs) and the shared sampling fields; 1 in 20 carries an unknown field.
 */
export function requestArbitrary<I>(opts: RequestArbitraryOptions<I>): fc.Arbitrary<GeneratedRequest<I>> {
  const cheap = opts.cheap ?? false;
  const sampling = samplingArbitraries(cheap);
  const image = field(opts.image, [null, 12, '']);
  const weight = field(fc.double({ min: 0.01, max: L.maxFuseWeight, noNaN: true }), [0, -1, L.maxFuseWeight + 1]);
  const fuseItem = fc.oneof(
    fc.record({ type: fc.constant('text'), text, weight }),
    fc.record({ type: fc.constant('image'), image, weight }),
  );
  const fuseItems = fc.oneof(
    { weight: 12, arbitrary: fuseItem },
    { weight: 1, arbitrary: fc.constant({ type: 'video', url: 'x', weight: 1 }) },
  );
  const strength = field(
    fc.oneof(fc.double({ min: 0.002, max: 1, noNaN: true }), fc.constantFrom(0.3, 0.5, 1)),
    [0, 0.001, 1.0001, -0.5],
  );
  const taskFields: Record<string, Record<string, fc.Arbitrary<unknown>>> = {
    text2image: { prompt: text },
    variation: { prompt: text, image },
    fuse: {
      inputs: fc.oneof(
        { weight: 12, arbitrary: fc.array(fuseItems, { minLength: 2, maxLength: cheap ? 3 : L.maxFuseInputs }) },
        { weight: 1, arbitrary: fc.array(fuseItems, { minLength: 0, maxLength: 1 }) },
        {
          weight: 1,
          arbitrary: fc.array(fuseItems, { minLength: L.maxFuseInputs + 1, maxLength: L.maxFuseInputs + 2 }),
        },
      ),
    },
    img2img: { prompt: text, image, strength },
    inpaint: { prompt: text, image, mask: image },
  };
  const task = fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom(...TASKS) },
    { weight: 1, arbitrary: fc.constant('upscale') },
  );
  return task.chain((name) => {
    const own = taskFields[name] ?? { prompt: text };
    // A task's required fields are present most of the time, so most requests get past "missing parameter".
    const required = fc.record(Object.fromEntries(Object.entries(own).map(([key, arb]) => [key, arb])), {
      requiredKeys: [],
    });
    return fc
      .tuple(
        fc.oneof({ weight: 9, arbitrary: fc.record(own) }, { weight: 1, arbitrary: required }),
        // size, width and height together conflict: keep them rarer than the rest. Absent sizes and steps mean the
        // defaults (512x512, 100 and 25 steps): rare in cheap runs, where each such job costs seconds.
        optionalRecord(
          sampling,
          cheap
            ? { size: 0.9, width: 0.1, height: 0.1, steps: 0.99, prior_steps: 0.99 }
            : { size: 0.3, width: 0.2, height: 0.2 },
        ),
        fc.oneof({ weight: 19, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.constant({ style: 'anime' }) }),
      )
      .map(([taskInput, samplingInput, unknown]) => ({
        task: name,
        input: { ...taskInput, ...samplingInput, ...unknown } as Record<string, unknown>,
      }));
  });
}
