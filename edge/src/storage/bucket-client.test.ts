import { describe, expect, it } from 'vitest';
import { testStore } from '../../test/fake-runner';
import { tinyPng } from '../../test/helpers';

describe('BucketClient against a SigV4-verifying S3 server', () => {
  it('stores objects and presigns GET URLs the server accepts', async () => {
    const store = testStore();
    const png = await tinyPng();
    await store.put('results/t1/job/0.png', png, 'image/png');
    expect(await store.get('results/t1/job/0.png')).toEqual(png);
    const url = await store.presignGet('results/t1/job/0.png', 60);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(png);
  });

  it('rejects tampered URLs: other key, altered signature, longer expiry', async () => {
    const store = testStore();
    await store.put('results/t1/job/1.png', await tinyPng(), 'image/png');
    await store.put('results/t2/job/1.png', await tinyPng(), 'image/png');
    const url = new URL(await store.presignGet('results/t1/job/1.png', 60));

    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace('/t1/', '/t2/');
    expect((await fetch(otherKey)).status).toBe(403);

    const badSignature = new URL(url);
    const signature = badSignature.searchParams.get('X-Amz-Signature')!;
    badSignature.searchParams.set('X-Amz-Signature', (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1));
    expect((await fetch(badSignature)).status).toBe(403);

    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    expect((await fetch(longer)).status).toBe(403);
    // Unsigned reads are a bucket-policy matter (s3rver serves anonymous GETs; production buckets must be private).
  });

  it('rejects a presigned URL once it has expired', async () => {
    const store = testStore();
    await store.put('results/t1/job/2.png', await tinyPng(), 'image/png');
    const url = await store.presignGet('results/t1/job/2.png', 1);
    expect((await fetch(url)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetch(url)).status).toBe(403);
  });

  it('clamps the expiry to the SigV4 maximum of 7 days', async () => {
    const url = new URL(await testStore().presignGet('results/x.png', 30 * 24 * 3600));
    expect(url.searchParams.get('X-Amz-Expires')).toBe('604800');
  });
});
