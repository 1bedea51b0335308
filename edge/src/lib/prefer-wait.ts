/** Longest `Prefer: wait=N` honoured, in seconds. */
export const MAX_PREFER_WAIT_SECONDS = 60;

/**
 * Reads `Prefer: wait=N` (RFC 7240). Returns the seconds to wait (clamped to {@link MAX_PREFER_WAIT_SECONDS}) or null
 * when absent or malformed (unrecognised preferences are ignored, as the RFC asks).
 * @example parsePreferWait('respond-async, wait=10') // 10
 */
export function parsePreferWait(header: string | undefined): number | null {
  if (!header) return null;
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(header);
  if (!match) return null;
  return Math.min(Number(match[1]), MAX_PREFER_WAIT_SECONDS);
}
