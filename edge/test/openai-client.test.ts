import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { completeWithPngs, lease } from './fake-runner';
import { createKey, openAiClient } from './helpers';

/** Runs the next job like a GPU runner would (lease, write PNGs to the bucket, complete). */
async function answerOneJob(): Promise<{ png: Uint8Array; params: Record<string, unknown> }> {
  const leased = await lease(10_000);
  if (!leased) throw new Error('no job arrived');
  const { response, png } = await completeWithPngs(leased);
  if (response.status !== 200) throw new Error(`complete failed: ${response.status}`);
  return { png, params: leased.job.params };
}

describe('official openai client', () => {
  it('gets an image URL back from images.generate', async () => {
    const key = await createKey();
    const [result, ran] = await Promise.all([
      openAiClient(key.key).images.generate({
        prompt: 'a watercolor fox',
        n: 1,
        size: '512x512',
        response_format: 'url',
      }),
      answerOneJob(),
    ]);
    expect(ran.params).toMatchObject({ prompt: 'a watercolor fox', width: 512, height: 512, n: 1 });
    expect(result.created).toBeTypeOf('number');
    const url = result.data?.[0].url;
    expect(url).toMatch(/X-Amz-Signature=/);
    const image = await fetch(url!);
    expect(image.status).toBe(200);
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(ran.png);
  });

  it('gets inline base64 with response_format b64_json and passes Kandinsky fields through', async () => {
    const key = await createKey();
    const generate = openAiClient(key.key).images.generate({
      prompt: 'a red bicycle',
      n: 2,
      size: '256x256',
      response_format: 'b64_json',
      // Kandinsky fields ride along as extra body parameters.
      ...({ seed: 7, steps: 30, negative_prompt: 'blurry', scheduler: 'ddpm' } as object),
    });
    const [result, ran] = await Promise.all([generate, answerOneJob()]);
    expect(ran.params).toMatchObject({
      seed: 7,
      steps: 30,
      negative_prompt: 'blurry',
      scheduler: 'ddpm',
      n: 2,
      width: 256,
    });
    expect(result.data).toHaveLength(2);
    const decoded = Uint8Array.from(atob(result.data![0].b64_json!), (char) => char.charCodeAt(0));
    expect(decoded).toEqual(ran.png);
  });

  it('surfaces gateway errors as OpenAI APIError with the error shape', async () => {
    const key = await createKey();
    const error = await openAiClient(key.key)
      .images.generate({ prompt: 'x', n: 9 })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('n');
    const unauthorized = await openAiClient(`kd_live_${'x'.repeat(40)}`)
      .images.generate({ prompt: 'x' })
      .catch((err: unknown) => err);
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
