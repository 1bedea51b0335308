/** The small pieces every part of the OpenAPI document uses to refer to shared schemas and error responses. */

/** A reference to `components.schemas[name]`. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A JSON request or response body with `schema`. */
export const json = (schema: unknown) => ({ 'application/json': { schema } });

/** References to the shared error responses (`components.responses.Error<status>`) of `statuses`. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]));
