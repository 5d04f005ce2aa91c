import type { Span } from '../model/span.ts';
import type { SpanLog } from '../store/api.ts';

/**
 * Where receivers hand normalized spans. `accept` resolves only once every span is durable in
 * the span log; it rejects with a TesseraError: INVALID_ARGUMENT (nothing was appended),
 * UNAVAILABLE or RESOURCE_EXHAUSTED (retryable; nothing was acknowledged).
 */
export interface IngestSink {
  accept(spans: Span[]): Promise<void>;
}

/** The node's sink: route spans to their partitions and append them to the span log. */
export function spanLogSink(log: SpanLog, partitionsOf: (spans: Span[], partitions: number) => Map<number, Span[]>): IngestSink {
  return {
    async accept(spans: Span[]): Promise<void> {
      if (spans.length === 0) return;
      await log.append(partitionsOf(spans, log.partitions));
    },
  };
}
