import { z } from 'zod';

/** JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) of a zod schema's accepted input, without `$schema`. */
export function inputSchema(schema: z.ZodType): Record<string, unknown> {
  return jsonSchema(schema, 'input');
}

/**
 * JSON Schema of what a zod schema describes as output (response bodies), without `$schema`. The safe-integer bounds
 * zod gives every `.int()` are dropped: in a response they say nothing a reader needs.
 */
export function outputSchema(schema: z.ZodType): Record<string, unknown> {
  return jsonSchema(schema, 'output', (ctx) => {
    const json = ctx.jsonSchema as Record<string, unknown>;
    if (json.minimum === Number.MIN_SAFE_INTEGER) delete json.minimum;
    if (json.maximum === Number.MAX_SAFE_INTEGER) delete json.maximum;
  });
}

function jsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  override?: (ctx: { jsonSchema: unknown }) => void,
): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', override }) as Record<
    string,
    unknown
  >;
  return rest;
}
