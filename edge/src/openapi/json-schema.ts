import { z } from 'zod';

/** JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) of a zod schema's accepted input, without `$schema`. */
export function inputSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}
