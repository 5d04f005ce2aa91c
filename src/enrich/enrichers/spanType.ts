// SpanTypeAttributeEnricher: SPAN_TYPE (ENTRY / EXIT / UNKNOWN) from the span kind or the older
// keys, and PROTOCOL. Both come from the normalize resolvers; only Envoy's `operationname`
// (ingress / egress), which callSide does not read, is added here.

import { callSide, protocolOf } from '../../normalize/index.ts';
import type { Span } from '../../model/span.ts';
import type { Enricher } from '../enricher.ts';
import type { SpanType } from '../types.ts';

export function spanTypeOf(span: Span): SpanType {
  const side = callSide(span);
  if (side === 'server') return 'ENTRY';
  if (side === 'client') return 'EXIT';
  const envoy = span.attributes['operationname'];
  if (envoy === 'ingress') return 'ENTRY';
  if (envoy === 'egress') return 'EXIT';
  return 'UNKNOWN';
}

export const spanTypeEnricher: Enricher = {
  name: 'SpanType',
  dependsOn: [],
  enrich({ trace }) {
    const { spanType, protocol } = trace.enriched;
    const spans = trace.spans;
    for (let i = 0; i < spans.length; i++) {
      spanType[i] = spanTypeOf(spans[i]);
      protocol[i] = protocolOf(spans[i]);
    }
  },
};
