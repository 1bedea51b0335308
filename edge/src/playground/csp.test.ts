import { describe, expect, it } from 'vitest';
import { playgroundCsp } from './csp';

describe('playgroundCsp', () => {
  it('allows same-origin code only and images from the bucket origin', () => {
    const policy = playgroundCsp('http://127.0.0.1:9000/');
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("img-src 'self' blob: http://127.0.0.1:9000;");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe');
  });

  it('keeps only the origin of an endpoint with a path', () => {
    expect(playgroundCsp('https://s3.example.com/some/prefix')).toContain(
      "img-src 'self' blob: https://s3.example.com;",
    );
  });

  it('adds no image origin without storage or with a malformed or non-http endpoint', () => {
    for (const endpoint of [null, 'not a url', 'javascript:alert(1)']) {
      expect(playgroundCsp(endpoint)).toContain("img-src 'self' blob:;");
    }
  });
});
