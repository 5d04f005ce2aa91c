// What the OTLP protobuf and JSON decoders share: the result with its partial-success half,
// the span-kind table and the service-name rule.

import type { Attributes, Span, SpanKind } from '../model/span.ts';
import { describeSpan, summarizeProblems } from './normalize.ts';

/** Spans accepted from one OTLP request, and what the partial-success answer must say. */
export interface OtlpResult {
  spans: Span[];
  /** Spans of the request that were rejected (ExportTracePartialSuccess.rejected_spans). */
  rejected: number;
  /** '' when nothing was rejected; else names the first rejected spans and their fields. */
  errorMessage: string;
}

/** OTLP Span.SpanKind numbers → model kinds. */
export const OTLP_KINDS: readonly SpanKind[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

export const UNKNOWN_SERVICE = 'unknown_service';

/** OTLP resource `service.name`, else `unknown_service` (the OTel SDK default's stem). */
export function resourceServiceName(resource: Attributes): string {
  const name = resource['service.name'];
  return name ? name : UNKNOWN_SERVICE;
}

/** Collects rejected spans of one request, keeping the first few problems word for word. */
export class OtlpRejections {
  private count = 0;
  private readonly problems: string[] = [];

  add(where: string, spanId: string, problem: string): void {
    this.count++;
    if (this.problems.length < 5) this.problems.push(`${describeSpan(where, spanId)}: ${problem}`);
  }

  result(spans: Span[]): OtlpResult {
    if (this.count === 0) return { spans, rejected: 0, errorMessage: '' };
    const message = `${this.count} span(s) rejected: ${summarizeProblems(this.problems, this.count)}`;
    return { spans, rejected: this.count, errorMessage: message };
  }
}
