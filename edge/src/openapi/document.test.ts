import { describe, expect, it } from 'vitest';
import { call } from '../../test/helpers';

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document whose request schemas come from the validators', async () => {
    const response = await call('/openapi.json');
    expect(response.status).toBe(200);
    const doc = await response.json<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: boolean }> };
    }>();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/v1/images/generations',
      '/v1/jobs',
      '/v1/jobs/{id}',
      '/v1/jobs/{id}/cancel',
      '/v1/jobs/{id}/events',
      '/v1/runner/lease',
      '/v1/admin/keys',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
    const generation = doc.components.schemas.ImageGenerationRequest;
    expect(generation.additionalProperties).toBe(false);
    expect(generation.properties).toHaveProperty('negative_prompt');
    expect(generation.properties!.n).toMatchObject({ minimum: 1, maximum: 4, default: 1 });
  });

  it('serves a docs page', async () => {
    const response = await call('/docs');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('/openapi.json');
  });
});
