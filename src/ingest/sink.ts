import type { Span } from '../model/span.ts';

/**
 * Where receivers hand normalized spans. `accept` resolves only once every span is durable in
 * the span log; it rejects with a TesseraError: INVALID_ARGUMENT (nothing was appended),
 * UNAVAILABLE or RESOURCE_EXHAUSTED (retryable; nothing was acknowledged).
 */
export interface IngestSink {
  accept(spans: Span[]): Promise<void>;
}
