// How the runner hands an encoded request to the network, and what it learns back. The
// outcome classes follow the OTLP exporter rules: retryable answers are retried with back-off,
// everything else that is not a success is a rejection.

export type SendOutcome =
  | { kind: 'ok'; rejectedSpans: number }
  | { kind: 'retryable'; code: string; retryAfterMs: number | null }
  | { kind: 'rejected'; code: string; message: string };

export interface Transport {
  send(body: Uint8Array | string): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** HTTP statuses the OTLP specification lists as retryable. */
export const RETRYABLE_HTTP: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Network failures worth retrying (the receiver may be restarting). */
export const RETRYABLE_NET: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
]);

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs = Date.now()): number | null {
  if (value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
