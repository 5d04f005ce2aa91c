// Decoder for the Jaeger UI JSON export (`{data:[{traceID, spans[], processes{}}]}`): what the
// Jaeger UI downloads and `/api/traces/{id}` answers. Times are microseconds, tags are typed
// ({key, type, value}), parents come from CHILD_OF / FOLLOWS_FROM references. All or nothing:
// one invalid span rejects the whole body with INVALID_ARGUMENT naming every problem found.

import { invalid } from '../errors.ts';
import { normalizeSpanId, normalizeTraceId } from '../model/span.ts';
import type { Attributes, Span, SpanEvent, SpanLink } from '../model/span.ts';
import { kindFromName, parentOf, scalarString, setAttr, spanProblem, statusFromTags, summarizeProblems } from './normalize.ts';

interface UiTag {
  key?: unknown;
  type?: unknown;
  value?: unknown;
}

interface UiProcess {
  serviceName?: unknown;
  tags?: UiTag[] | null;
}

interface UiSpan {
  traceID?: unknown;
  spanID?: unknown;
  parentSpanID?: unknown;
  operationName?: unknown;
  references?: Array<{ refType?: unknown; traceID?: unknown; spanID?: unknown }> | null;
  startTime?: unknown;
  duration?: unknown;
  tags?: UiTag[] | null;
  logs?: Array<{ timestamp?: unknown; fields?: UiTag[] | null }> | null;
  processID?: unknown;
  process?: UiProcess | null;
}

interface UiTrace {
  traceID?: unknown;
  spans?: UiSpan[] | null;
  processes?: Record<string, UiProcess> | null;
}

/** Parses a Jaeger UI JSON export into spans of `tenant`; throws INVALID_ARGUMENT. */
export function decodeJaegerUiJson(body: string | Buffer, tenant: string): Span[] {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (err) {
    throw invalid(`Jaeger UI JSON: body is not JSON (${(err as Error).message})`);
  }
  const traces = tracesOf(doc);
  const spans: Span[] = [];
  const problems: string[] = [];
  let bad = 0;
  traces.forEach((trace, ti) => {
    if (!isObject(trace) || !Array.isArray(trace.spans)) {
      problems.push(`data[${ti}]: a trace needs a "spans" array`);
      bad++;
      return;
    }
    const processes = isObject(trace.processes) ? trace.processes : {};
    trace.spans.forEach((raw, si) => {
      const where = `data[${ti}].spans[${si}]`;
      const result = isObject(raw) ? toSpan(raw, processes, tenant, where) : `${where}: not an object`;
      if (typeof result === 'string') {
        if (problems.length < 50) problems.push(result);
        bad++;
      } else {
        spans.push(result);
      }
    });
  });
  if (bad > 0) throw invalid(`Jaeger UI JSON: ${bad} invalid span(s): ${summarizeProblems(problems, bad)}`);
  return spans;
}

function tracesOf(doc: unknown): UiTrace[] {
  if (Array.isArray(doc)) return doc as UiTrace[];
  if (isObject(doc)) {
    if (Array.isArray(doc.data)) return doc.data as UiTrace[];
    if (Array.isArray(doc.spans)) return [doc as UiTrace];
  }
  throw invalid('Jaeger UI JSON: expected {"data":[traces]}, an array of traces, or one trace');
}

function toSpan(raw: UiSpan, processes: Record<string, UiProcess>, tenant: string, where: string): Span | string {
  const rawSpanId = typeof raw.spanID === 'string' ? raw.spanID : '';
  const spanId = normalizeSpanId(rawSpanId);
  if (!spanId) return spanProblem(where, rawSpanId, 'spanID', 'must be 1-16 hex digits, not all zero');
  const traceId = typeof raw.traceID === 'string' ? normalizeTraceId(raw.traceID) : '';
  if (!traceId) return spanProblem(where, spanId, 'traceID', 'must be 1-32 hex digits');
  const startUs = Number(raw.startTime);
  if (!Number.isFinite(startUs) || startUs < 0) return spanProblem(where, spanId, 'startTime', 'must be microseconds since the epoch');
  const durationUs = raw.duration === undefined ? 0 : Number(raw.duration);
  if (!Number.isFinite(durationUs)) return spanProblem(where, spanId, 'duration', 'must be a number of microseconds');
  if (durationUs < 0) return spanProblem(where, spanId, 'duration', 'is negative (end before start)');

  const attributes = tagsOf(raw.tags);
  const process = isObject(raw.process) ? raw.process : processes[String(raw.processID)];
  const resource = tagsOf(process?.tags);
  const links: SpanLink[] = [];
  for (const ref of Array.isArray(raw.references) ? raw.references : []) {
    const refTrace = typeof ref?.traceID === 'string' ? normalizeTraceId(ref.traceID) : '';
    const refSpan = typeof ref?.spanID === 'string' ? normalizeSpanId(ref.spanID) : '';
    if (!refTrace || !refSpan) return spanProblem(where, spanId, 'references', 'hold an invalid traceID or spanID');
    links.push({ traceId: refTrace, spanId: refSpan, refType: ref.refType === 'FOLLOWS_FROM' ? 'FOLLOWS_FROM' : 'CHILD_OF' });
  }
  const explicitParent = typeof raw.parentSpanID === 'string' ? normalizeSpanId(raw.parentSpanID) : '';
  const status = statusFromTags(attributes);
  return {
    tenant,
    traceId,
    spanId,
    parentSpanId: explicitParent || parentOf(traceId, links),
    name: typeof raw.operationName === 'string' ? raw.operationName : '',
    kind: kindFromName(attributes['span.kind']),
    serviceName: typeof process?.serviceName === 'string' && process.serviceName ? process.serviceName : 'unknown_service',
    startUs: Math.floor(startUs),
    endUs: Math.floor(startUs) + Math.floor(durationUs),
    statusCode: status.code,
    statusMessage: status.message,
    attributes,
    resource,
    events: logsOf(raw.logs),
    links,
  };
}

function tagsOf(tags: UiTag[] | null | undefined): Attributes {
  const attrs: Attributes = {};
  if (!Array.isArray(tags)) return attrs;
  for (const tag of tags) {
    if (isObject(tag) && typeof tag.key === 'string') setAttr(attrs, tag.key, scalarString(tag.value));
  }
  return attrs;
}

function logsOf(logs: UiSpan['logs']): SpanEvent[] {
  if (!Array.isArray(logs)) return [];
  const events: SpanEvent[] = [];
  for (const log of logs) {
    if (!isObject(log)) continue;
    const attributes = tagsOf(log.fields);
    const timeUs = Number(log.timestamp);
    events.push({ timeUs: Number.isFinite(timeUs) ? Math.floor(timeUs) : 0, name: attributes['event'] ?? 'log', attributes });
  }
  return events;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
