import { z } from 'zod';

/** JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) of a zod schema's accepted input, without `$schema`. */
export function inputSchema(schema: z.ZodType): Record<string, unknown> {
  return jsonSchema(schema, 'input');
}

/** JSON Schema of what a zod schema describes as output (response bodies), without `$schema`. */
export function outputSchema(schema: z.ZodType): Record<string, unknown> {
  return jsonSchema(schema, 'output');
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}
