// Jaeger api_v2 protobuf (`CollectorService/PostSpans`: a Batch of spans and a Process) →
// internal spans. Tags are typed KeyValues, parents come from CHILD_OF / FOLLOWS_FROM references,
// a span's own Process wins over the batch's. All or nothing, like the other Jaeger inputs.

import { invalid } from '../errors.ts';
import { normalizeSpanId, normalizeTraceId } from '../model/span.ts';
import type { Attributes, Span, SpanEvent, SpanLink } from '../model/span.ts';
import { hexOf, kindFromName, parentOf, setAttr, spanProblem, statusFromTags, summarizeProblems } from './normalize.ts';
import { UNKNOWN_SERVICE } from './otlp-common.ts';
import { JaegerPostSpansRequest } from './protos.ts';

type Int64 = { toNumber(): number; toString(): string } | number;

interface PbKeyValue {
  key: string;
  vType: number;
  vStr: string;
  vBool: boolean;
  vInt64: Int64;
  vFloat64: number;
  vBinary: Uint8Array;
}
interface PbTime {
  seconds: Int64;
  nanos: number;
}
interface PbProcess {
  serviceName: string;
  tags: PbKeyValue[];
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  operationName: string;
  references: Array<{ traceId: Uint8Array; spanId: Uint8Array; refType: number }>;
  startTime?: PbTime | null;
  duration?: PbTime | null;
  tags: PbKeyValue[];
  logs: Array<{ timestamp?: PbTime | null; fields: PbKeyValue[] }>;
  process?: PbProcess | null;
}

/** Decodes a serialized PostSpansRequest; throws INVALID_ARGUMENT. */
export function decodeJaegerPostSpans(buf: Uint8Array, tenant: string): Span[] {
  let req: { batch?: { spans: PbSpan[]; process?: PbProcess | null } | null };
  try {
    req = JaegerPostSpansRequest.decode(buf) as unknown as typeof req;
  } catch (err) {
    throw invalid(`Jaeger protobuf: body is not a PostSpansRequest (${(err as Error).message})`);
  }
  const batch = req.batch;
  if (!batch) return [];
  const spans: Span[] = [];
  const problems: string[] = [];
  let bad = 0;
  for (let i = 0; i < batch.spans.length; i++) {
    const result = toSpan(batch.spans[i], batch.process ?? undefined, tenant, `batch.spans[${i}]`);
    if (typeof result === 'string') {
      if (problems.length < 50) problems.push(result);
      bad++;
    } else {
      spans.push(result);
    }
  }
  if (bad > 0) throw invalid(`Jaeger protobuf: ${bad} invalid span(s): ${summarizeProblems(problems, bad)}`);
  return spans;
}

function toSpan(pb: PbSpan, batchProcess: PbProcess | undefined, tenant: string, where: string): Span | string {
  const spanIdBytes = bytesOf(pb.spanId);
  const rawSpanId = hexOf(spanIdBytes.subarray(0, 32));
  const spanId = spanIdBytes.length === 8 ? normalizeSpanId(rawSpanId) : '';
  if (!spanId) return spanProblem(where, rawSpanId, 'span_id', 'must be 8 bytes, not all zero');
  const traceId = idOfTrace(bytesOf(pb.traceId));
  if (!traceId) return spanProblem(where, spanId, 'trace_id', 'must be 8 or 16 bytes, not all zero');
  if (!pb.startTime) return spanProblem(where, spanId, 'start_time', 'is missing');
  const startUs = usOf(pb.startTime);
  const durationUs = pb.duration ? usOf(pb.duration) : 0;
  if (durationUs < 0) return spanProblem(where, spanId, 'duration', 'is negative (end before start)');
  const links: SpanLink[] = [];
  for (const ref of pb.references) {
    const refTrace = idOfTrace(bytesOf(ref.traceId));
    const refSpanBytes = bytesOf(ref.spanId);
    const refSpan = refSpanBytes.length === 8 ? normalizeSpanId(hexOf(refSpanBytes)) : '';
    if (!refTrace || !refSpan) return spanProblem(where, spanId, 'references', 'hold an invalid trace_id or span_id');
    links.push({ traceId: refTrace, spanId: refSpan, refType: ref.refType === 1 ? 'FOLLOWS_FROM' : 'CHILD_OF' });
  }
  const attributes = tagsOf(pb.tags);
  const process = pb.process ?? batchProcess;
  const status = statusFromTags(attributes);
  return {
    tenant,
    traceId,
    spanId,
    parentSpanId: parentOf(traceId, links),
    name: pb.operationName,
    kind: kindFromName(attributes['span.kind']),
    serviceName: process?.serviceName || UNKNOWN_SERVICE,
    startUs,
    endUs: startUs + durationUs,
    statusCode: status.code,
    statusMessage: status.message,
    attributes,
    resource: tagsOf(process?.tags ?? []),
    events: logsOf(pb.logs),
    links,
  };
}

/** protobufjs leaves an absent bytes field as its default, which may be a plain array. */
function bytesOf(v: Uint8Array | number[] | undefined): Uint8Array {
  return v instanceof Uint8Array ? v : Uint8Array.from(v ?? []);
}

/** A Jaeger trace id (16 bytes, or 8 for a 64-bit id) as 32 hex chars; '' when invalid. */
function idOfTrace(bytes: Uint8Array): string {
  if (bytes.length !== 16 && bytes.length !== 8) return '';
  const id = normalizeTraceId(hexOf(bytes));
  return /^0+$/.test(id) ? '' : id;
}

function usOf(t: PbTime): number {
  const seconds = typeof t.seconds === 'number' ? t.seconds : t.seconds.toNumber();
  return seconds * 1_000_000 + Math.floor((t.nanos ?? 0) / 1000);
}

function tagsOf(tags: PbKeyValue[]): Attributes {
  const attrs: Attributes = {};
  for (const kv of tags) setAttr(attrs, kv.key, tagString(kv));
  return attrs;
}

/** A typed Jaeger tag as the model stores it. */
function tagString(kv: PbKeyValue): string {
  switch (kv.vType) {
    case 1:
      return kv.vBool ? 'true' : 'false';
    case 2:
      return kv.vInt64.toString();
    case 3:
      return String(kv.vFloat64);
    case 4:
      return Buffer.from(bytesOf(kv.vBinary)).toString('base64');
    default:
      return kv.vStr;
  }
}

function logsOf(logs: PbSpan['logs']): SpanEvent[] {
  return logs.map((log) => {
    const attributes = tagsOf(log.fields);
    return { timeUs: log.timestamp ? usOf(log.timestamp) : 0, name: attributes['event'] ?? 'log', attributes };
  });
}
