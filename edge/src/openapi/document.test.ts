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
      '/v1/images/edits',
      '/v1/images/variations',
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
    expect(generation.properties!.partial_images).toMatchObject({ minimum: 0, maximum: 3 });
    expect(generation.properties).toHaveProperty('stream');
    // The multipart schemas: the validator's fields plus the files.
    const edit = doc.components.schemas.ImageEditRequest as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(edit.properties)).toEqual(
      expect.arrayContaining(['image', 'mask', 'prompt', 'strength', 'stream']),
    );
    expect(edit.required).toEqual(expect.arrayContaining(['image', 'prompt']));
    const variation = doc.components.schemas.ImageVariationRequest as { properties: Record<string, unknown> };
    expect(variation.properties).toHaveProperty('image');
    expect(variation.properties).not.toHaveProperty('prompt');
    const job = doc.components.schemas.JobCreateRequest as unknown as Record<string, unknown>;
    expect(JSON.stringify(job)).toContain('preview_every');
    expect(JSON.stringify(job)).toContain('mask_source');
    expect(doc.components.schemas.Job.properties).toHaveProperty('queue');
    expect(doc.components.schemas.Job.properties).toHaveProperty('metrics');
  });

  it('serves a docs page', async () => {
    const response = await call('/docs');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('/openapi.json');
  });
});
