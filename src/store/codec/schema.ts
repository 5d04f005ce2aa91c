// The span-log entry schema: protos/tessera/spanlog.proto loaded once, and the wire tags the
// encoder and decoder use, each checked against the type the schema declares.

import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { TesseraError } from '../../errors.ts';
import type { Span, SpanKind, SpanLink } from '../../model/span.ts';

const PROTO_PATH = fileURLToPath(new URL('../../../protos/tessera/spanlog.proto', import.meta.url));

/** The loaded schema, once per process (tests cross-check the codec against it). */
export const spanLogRoot: protobuf.Root = protobuf.loadSync(PROTO_PATH);

// protobuf wire types
export const VARINT = 0;
const I64 = 1, LEN = 2;

/**
 * Wire tags of a message's fields, each checked against the type the schema declares.
 * Repeated numbers get their packed tag (readIndexes() accepts the unpacked form too).
 */
function tags<K extends string>(typeName: string, declared: Record<K, string>): Record<K, number> {
  const type = spanLogRoot.lookupType(`tessera.spanlog.v1.${typeName}`);
  const out = {} as Record<K, number>;
  for (const name of Object.keys(declared) as K[]) {
    const f = type.fields[name];
    if (f === undefined || f.type !== declared[name]) {
      throw new TesseraError('INTERNAL', `spanlog.proto: ${typeName}.${name} is not a ${declared[name]} field`);
    }
    const resolved = f.resolve().resolvedType;
    const wire = f.type === 'sfixed64' ? I64 : resolved instanceof protobuf.Enum ? VARINT
      : resolved !== null || f.type === 'string' || f.type === 'bytes' || f.repeated ? LEN : VARINT;
    out[name] = ((f.id << 3) | wire) >>> 0;
  }
  return out;
}

export const BATCH = tags('SpanBatch', { strings: 'string', sources: 'SpanSource', spans: 'Span' });
export const SOURCE = tags('SpanSource', { tenant: 'string', serviceName: 'string', resource: 'uint32' });
export const SPAN = tags('Span', {
  source: 'uint32', traceId: 'bytes', spanId: 'bytes', parentSpanId: 'bytes', name: 'uint32', kind: 'SpanKind',
  startUs: 'sfixed64', durationUs: 'sint64', statusCode: 'uint32', statusMessage: 'string',
  attributes: 'uint32', events: 'Event', links: 'Link',
});
export const EVENT = tags('Event', { offsetUs: 'sint64', name: 'uint32', attributes: 'uint32' });
export const LINK = tags('Link', { traceId: 'bytes', spanId: 'bytes', refType: 'RefType' });

export const KINDS: readonly SpanKind[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
export const REF_TYPES: readonly SpanLink['refType'][] = ['CHILD_OF', 'FOLLOWS_FROM', 'LINK'];
export const KIND_NUMBER = Object.fromEntries(KINDS.map((k, i) => [k, i])) as Record<SpanKind, number>;
export const REF_NUMBER = Object.fromEntries(REF_TYPES.map((k, i) => [k, i])) as Record<SpanLink['refType'], number>;

/** What the spans of one source share: tenant, service and resource. */
export type Source = Pick<Span, 'tenant' | 'serviceName' | 'resource'>;
