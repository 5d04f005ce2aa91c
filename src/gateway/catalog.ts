// The attribute catalog: for each scope, the attributes a query may select, filter and order
// by — their type and units (what `metadata` will serve) and where their values live (one
// column of one view). Keys and id mappings follow reference/hypertrace-query.md §1 and §3.
// This build serves TRACE, SPAN and LOG_EVENT; other scopes (SERVICE, API, BACKEND,
// API_TRACE, BACKEND_TRACE, INTERACTION) add a ScopeDef and their attributes here, with
// sources that may point at the entity store instead of a view.
import { TesseraError } from '../errors.ts';
import { logEventView, rawTraceView, spanEventView } from '../views/schema.ts';

export type AttributeType = 'STRING' | 'LONG' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP' | 'STRING_MAP' | 'STRING_ARRAY';

/** How values are read and written beyond their type. */
export type AttributeFormat =
  /** A trace id: 16 or 32 hex chars in, matched as the stored 32-char zero-extended form. */
  | 'traceId'
  /** A span id: lowercase 16-hex. */
  | 'spanId'
  /** Epoch milliseconds; filters also take ISO-8601 strings. */
  | 'epochMs'
  /** Epoch nanoseconds stored, ISO-8601 (µs precision) served. */
  | 'epochNs';

export interface AttributeDef {
  scope: string;
  key: string;
  displayName: string;
  type: AttributeType;
  units: string;
  /** METRIC attributes are the aggregatable measures (duration, counts). */
  kind: 'ATTRIBUTE' | 'METRIC';
  groupable: boolean;
  /** Where the value lives: a column of a view (later also an entity-store source). */
  source: { view: string; column: string };
  format?: AttributeFormat;
}

export interface ScopeDef {
  scope: string;
  view: string;
  /** The attribute the `id` field serves. */
  idKey: string;
  /** The attribute `between` filters on. */
  startTimeKey: string;
  /** Order when a query gives none; the id breaks ties so pages are stable. */
  defaultOrder: { key: string; direction: 'ASC' | 'DESC' }[];
  /** ID filters: the foreign scope named by idScope/idType → the attribute it filters. */
  idFilterKeys: Record<string, string>;
}

interface Spec {
  key: string;
  column: string;
  type: AttributeType;
  displayName: string;
  units?: string;
  kind?: 'ATTRIBUTE' | 'METRIC';
  groupable?: boolean;
  format?: AttributeFormat;
}

const a = (key: string, column: string, type: AttributeType, displayName: string, extra: Partial<Spec> = {}): Spec => ({
  key, column, type, displayName, ...extra,
});
const G = { groupable: true } as const;
const M = (units = ''): Partial<Spec> => ({ kind: 'METRIC', units });
const MS = { units: 'ms', format: 'epochMs' } as const;

const TRACE: Spec[] = [
  a('id', 'trace_id', 'STRING', 'Trace ID', { ...G, format: 'traceId' }),
  a('traceId', 'trace_id', 'STRING', 'Trace ID', { ...G, format: 'traceId' }),
  a('name', 'transaction_name', 'STRING', 'Transaction Name', G),
  a('transactionName', 'transaction_name', 'STRING', 'Transaction Name', G),
  a('startTime', 'start_time_millis', 'LONG', 'Start Time', MS),
  a('endTime', 'end_time_millis', 'LONG', 'End Time', MS),
  a('duration', 'duration_millis', 'LONG', 'Duration', M('ms')),
  a('services', 'services', 'STRING_ARRAY', 'Services', G),
  a('numServices', 'num_services', 'LONG', 'Number of Services', M('Services')),
  a('numSpans', 'num_spans', 'LONG', 'Number of Spans', M('Spans')),
  a('spaceIds', 'space_ids', 'STRING_ARRAY', 'Space IDs'),
  a('isPartial', 'partial', 'BOOLEAN', 'Partial Trace'),
  a('durationMicros', 'duration_micros', 'LONG', 'Duration (µs)', M('µs')),
];

const SPAN: Spec[] = [
  a('id', 'span_id', 'STRING', 'Span ID', { ...G, format: 'spanId' }),
  a('traceId', 'trace_id', 'STRING', 'Trace ID', { ...G, format: 'traceId' }),
  a('parentSpanId', 'parent_span_id', 'STRING', 'Parent Span ID', { ...G, format: 'spanId' }),
  a('serviceName', 'service_name', 'STRING', 'Service Name', G),
  a('serviceId', 'service_id', 'STRING', 'Service ID', G),
  a('apiId', 'api_id', 'STRING', 'Endpoint ID', G),
  a('apiName', 'api_name', 'STRING', 'Endpoint Name', G),
  a('apiTraceId', 'api_trace_id', 'STRING', 'API Trace ID', { ...G, format: 'spanId' }),
  a('displaySpanName', 'display_span_name', 'STRING', 'Span Name', G),
  a('displayEntityName', 'display_entity_name', 'STRING', 'Entity Name', G),
  a('name', 'event_name', 'STRING', 'Operation Name', G),
  a('startTime', 'start_time_millis', 'LONG', 'Start Time', MS),
  a('endTime', 'end_time_millis', 'LONG', 'End Time', MS),
  a('duration', 'duration_millis', 'LONG', 'Duration', M('ms')),
  a('durationMicros', 'duration_micros', 'LONG', 'Duration (µs)', M('µs')),
  a('statusCode', 'status_code', 'STRING', 'Status Code', G),
  a('status', 'status', 'STRING', 'Status', G),
  a('statusMessage', 'status_message', 'STRING', 'Status Message', G),
  a('spanTags', 'tags', 'STRING_MAP', 'Attributes'),
  a('type', 'span_kind', 'STRING', 'Span Type', G),
  a('kind', 'kind', 'STRING', 'Span Kind', G),
  a('protocolName', 'protocol_name', 'STRING', 'Protocol', G),
  a('spanRequestUrl', 'request_url', 'STRING', 'Request URL', G),
  a('errorCount', 'error_count', 'LONG', 'Errors', M()),
  a('exceptionCount', 'exception_count', 'LONG', 'Exceptions', M()),
  a('spaceIds', 'space_ids', 'STRING_ARRAY', 'Space IDs'),
];

const LOG_EVENT: Spec[] = [
  a('timestamp', 'timestamp_nanos', 'TIMESTAMP', 'Timestamp', { units: 'ns', format: 'epochNs' }),
  a('spanId', 'span_id', 'STRING', 'Span ID', { format: 'spanId' }),
  a('traceId', 'trace_id', 'STRING', 'Trace ID', { format: 'traceId' }),
  a('attributes', 'attributes', 'STRING_MAP', 'Attributes'),
  a('summary', 'summary', 'STRING', 'Summary'),
];

const SCOPES: ScopeDef[] = [
  {
    scope: 'TRACE', view: rawTraceView.name, idKey: 'id', startTimeKey: 'startTime',
    defaultOrder: [{ key: 'startTime', direction: 'DESC' }, { key: 'id', direction: 'ASC' }],
    idFilterKeys: { TRACE: 'id' },
  },
  {
    scope: 'SPAN', view: spanEventView.name, idKey: 'id', startTimeKey: 'startTime',
    defaultOrder: [{ key: 'startTime', direction: 'ASC' }, { key: 'id', direction: 'ASC' }],
    idFilterKeys: { SPAN: 'id', TRACE: 'traceId', API_TRACE: 'apiTraceId' },
  },
  {
    scope: 'LOG_EVENT', view: logEventView.name, idKey: 'spanId', startTimeKey: 'timestamp',
    defaultOrder: [{ key: 'timestamp', direction: 'ASC' }],
    idFilterKeys: { SPAN: 'spanId', TRACE: 'traceId' },
  },
];

export class AttributeCatalog {
  private readonly scopes = new Map<string, ScopeDef>();
  private readonly attrs = new Map<string, AttributeDef>();

  constructor(scopes: ScopeDef[], attributes: AttributeDef[]) {
    for (const s of scopes) this.scopes.set(s.scope, s);
    for (const d of attributes) this.attrs.set(`${d.scope}.${d.key}`, d);
  }

  scope(scope: string): ScopeDef {
    const def = this.scopes.get(scope);
    if (!def) throw new TesseraError('BAD_QUERY', `scope ${scope} is not served by this build`);
    return def;
  }

  /** The attribute `<scope>.<key>`; UNKNOWN_ATTRIBUTE when the catalog has none. */
  attribute(scope: string, key: string): AttributeDef {
    const def = this.attrs.get(`${scope}.${key}`);
    if (!def) throw new TesseraError('UNKNOWN_ATTRIBUTE', `no attribute ${key} in scope ${scope}`);
    return def;
  }

  /** Every attribute, for `metadata`. */
  list(): AttributeDef[] {
    return [...this.attrs.values()];
  }
}

function defsOf(scope: ScopeDef, specs: Spec[]): AttributeDef[] {
  return specs.map((s) => ({
    scope: scope.scope,
    key: s.key,
    displayName: s.displayName,
    type: s.type,
    units: s.units ?? '',
    kind: s.kind ?? 'ATTRIBUTE',
    groupable: s.groupable ?? false,
    source: { view: scope.view, column: s.column },
    ...(s.format ? { format: s.format } : {}),
  }));
}

const specsByScope: Record<string, Spec[]> = { TRACE, SPAN, LOG_EVENT };

/** The catalog this build serves. */
export const catalog = new AttributeCatalog(
  SCOPES,
  SCOPES.flatMap((s) => defsOf(s, specsByScope[s.scope])),
);
