import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * How a request to the local S3 server claims to be authenticated: a SigV4 `Authorization` header, a SigV4 presigned
 * URL (`X-Amz-Algorithm=AWS4-HMAC-SHA256` with an `X-Amz-Signature`), a CORS preflight (which real S3 answers
 * without credentials, from the bucket's CORS rules, and which never returns data), or nothing acceptable.
 */
export type S3Credentials = 'sigv4-header' | 'sigv4-query' | 'preflight' | 'none';

/** Classifies a request by method, headers and query; the signature itself is checked by s3rver afterwards. */
export function s3Credentials(method: string, url: string, authorization: string | undefined): S3Credentials {
  if (method === 'OPTIONS') return 'preflight';
  if (authorization !== undefined) return /^AWS4-HMAC-SHA256\s/i.test(authorization) ? 'sigv4-header' : 'none';
  const query = new URL(url, 'http://s3.local').searchParams;
  if (query.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256' && query.get('X-Amz-Signature')) return 'sigv4-query';
  return 'none';
}

/**
 * Wraps an S3 request handler so that anonymous requests are refused with 403 AccessDenied, as a private bucket on
 * real S3 does. s3rver verifies a SigV4 signature and a presigned URL's expiry when one is present, but serves
 * requests that carry none (and accepts legacy SigV2), so without this a result URL with its signature cut off, or a
 * plain bucket listing, would be answered. Only SigV4 passes: the edge and the runner sign nothing else.
 */
export function requireSignedRequests(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (s3Credentials(req.method ?? 'GET', req.url ?? '/', req.headers.authorization) !== 'none') {
      handler(req, res);
      return;
    }
    const body =
      req.method === 'HEAD'
        ? ''
        : '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied: ' +
          'requests must be signed with AWS Signature Version 4 (Authorization header or presigned URL)' +
          '</Message></Error>';
    // The body of a refused upload is never read: close the connection instead of draining it.
    res.writeHead(403, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(body),
      'x-amz-error-code': 'AccessDenied',
      connection: 'close',
    });
    res.end(body);
  };
}
