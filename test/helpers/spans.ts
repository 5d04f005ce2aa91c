import type { Span } from '../../src/model/span.ts';

let counter = 0;

/** A span with sensible defaults; ids unique per call unless given. */
export function makeSpan(fields: Partial<Span> = {}): Span {
  counter++;
  return {
    tenant: '__default',
    traceId: 'aa'.repeat(16),
    spanId: counter.toString(16).padStart(16, '0'),
    parentSpanId: '',
    name: `op-${counter}`,
    kind: 'INTERNAL',
    serviceName: 'svc',
    startUs: 1_700_000_000_000_000 + counter,
    endUs: 1_700_000_000_000_000 + counter + 1000,
    statusCode: 0,
    statusMessage: '',
    attributes: {},
    resource: {},
    events: [],
    links: [],
    ...fields,
  };
}

export const hexId = (n: number, width = 16): string => n.toString(16).padStart(width, '0');
