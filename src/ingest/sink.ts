import { TesseraError } from '../errors.ts';
import type { Span } from '../model/span.ts';
import type { SpanLog } from '../store/api.ts';

/**
 * Where receivers hand normalized spans. `accept` resolves only once every span is durable in
 * the span log; it rejects with a TesseraError: INVALID_ARGUMENT (nothing was appended),
 * UNAVAILABLE or RESOURCE_EXHAUSTED (retryable; nothing was acknowledged).
 */
export interface IngestSink {
  accept(spans: Span[]): Promise<void>;
  /**
   * The refusal `accept` would give any request right now (the span log is over its bound), or
   * undefined. Receivers ask before decoding, so a node under overload spends its CPU writing
   * what it holds rather than decoding requests it will refuse.
   */
  refusal?(): TesseraError | undefined;
}

/**
 * After the log refuses an append as over its bound, further requests are refused without
 * trying for this long; then one is let through to find out whether there is room again.
 */
export const FULL_HOLD_MS = 200;

/** The node's sink: route spans to their partitions and append them to the span log. */
export function spanLogSink(log: SpanLog, partitionsOf: (spans: Span[], partitions: number) => Map<number, Span[]>, now: () => number = Date.now): IngestSink {
  let full: { err: TesseraError; until: number } | undefined;
  return {
    async accept(spans: Span[]): Promise<void> {
      if (spans.length === 0) return;
      try {
        await log.append(partitionsOf(spans, log.partitions));
        full = undefined;
      } catch (err) {
        if (err instanceof TesseraError && err.code === 'RESOURCE_EXHAUSTED') full = { err, until: now() + FULL_HOLD_MS };
        throw err;
      }
    },
    refusal(): TesseraError | undefined {
      if (full === undefined) return undefined;
      if (now() < full.until) return full.err;
      // Time to try again: let the next request through (and hold again if it is refused).
      full = undefined;
      return undefined;
    },
  };
}
