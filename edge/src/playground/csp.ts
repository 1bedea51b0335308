/**
 * Content-Security-Policy of the playground page. Scripts, styles and API calls are same-origin only (no inline code,
 * so no `unsafe-inline`); images may also come from the bucket, whose signed URLs the API returns, and from `blob:`
 * (previews of files the user picked, which never leave the browser until submitted).
 * @param s3Endpoint The bucket endpoint result URLs point at, or null when storage is not configured.
 * @example playgroundCsp('https://s3.example.com') // "default-src 'none'; … img-src 'self' blob: https://s3.example.com; …"
 */
export function playgroundCsp(s3Endpoint: string | null): string {
  const imageSources = ["'self'", 'blob:'];
  const bucketOrigin = s3Endpoint ? originOf(s3Endpoint) : null;
  if (bucketOrigin) imageSources.push(bucketOrigin);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${imageSources.join(' ')}`,
    "connect-src 'self'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function originOf(endpoint: string): string | null {
  try {
    const url = new URL(endpoint);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    // A malformed endpoint fails elsewhere (presigning); the page then simply cannot show bucket images.
    return null;
  }
}
