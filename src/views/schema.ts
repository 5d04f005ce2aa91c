// The query views, defined once. Each ViewStore adapter renders its own DDL from these
// definitions (DuckDB, PostgreSQL; Pinot later), and the gateway's attribute catalog points at
// their columns. View and column names are the reference's (hypertrace-ingest §6, snake_case),
// filled from an enriched trace by src/views/rows.ts; docs/views.md gives each column's rule.
import { PROTOCOLS } from '../normalize/protocol.ts';
import { TAG_BLOOM_COLUMNS } from './tagBloom.ts';

/** Neutral column types; adapters map them to their dialect. */
export type ColumnType = 'string' | 'long' | 'double' | 'boolean' | 'string_map' | 'string_array' | 'bytes';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** Never null (identity columns). */
  required?: boolean;
  /**
   * Filled by an enricher Tessera does not run yet (space ids): always null for now. Every
   * other column holds its value.
   */
  enrichment?: boolean;
  /**
   * The closed set of values a string column holds (besides null). An adapter may store it as
   * an enum (DuckDB appends an enum as one byte, a string as a native call); queries still see
   * strings, compared and ordered as strings. A value outside the set is a bug: writes refuse it.
   */
  values?: readonly string[];
}

export interface ViewDef {
  name: string;
  columns: readonly ColumnDef[];
  /** The column time-range queries filter on. */
  timeColumn: string;
  /** Unit of the time column: epoch milliseconds, or nanoseconds for log events. */
  timeUnit: 'ms' | 'ns';
  /** Columns that identify a trace: every row of a trace is replaced as a unit. */
  tenantColumn: 'tenant_id';
  traceColumn: 'trace_id';
  /** Point-lookup columns an adapter should index (trace-id lookups, idempotent replace). */
  lookupColumns: readonly string[];
}

const col = (name: string, type: ColumnType, extra: Partial<ColumnDef> = {}): ColumnDef => ({ name, type, ...extra });
const req = (name: string, type: ColumnType): ColumnDef => col(name, type, { required: true });
const enr = (name: string, type: ColumnType): ColumnDef => col(name, type, { enrichment: true });
const oneOf = (name: string, values: readonly string[]): ColumnDef => col(name, 'string', { values });

/** SPAN_TYPE. */
export const SPAN_TYPES = ['ENTRY', 'EXIT', 'UNKNOWN'] as const;
/** API_BOUNDARY_TYPE (null when neither). */
export const API_BOUNDARY_TYPES = ['ENTRY', 'EXIT'] as const;
/** protocol_name: '' when unknown; backend protocols share the names (UNKNOWN included). */
export const PROTOCOL_NAMES: readonly string[] = ['', ...PROTOCOLS];
export const STATUSES = ['FAIL', 'SUCCESS'] as const;
export const API_DISCOVERY_STATES = ['DISCOVERED'] as const;
/** The OTel span kinds (src/model/span.ts). */
export const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

/** Tessera additions on every span-based view: µs precision next to the reference's ms. */
const MICROS: readonly ColumnDef[] = [col('start_time_micros', 'long'), col('end_time_micros', 'long'), col('duration_micros', 'long')];

/** One row per trace. */
export const rawTraceView: ViewDef = {
  name: 'rawTraceView',
  timeColumn: 'start_time_millis',
  timeUnit: 'ms',
  tenantColumn: 'tenant_id',
  traceColumn: 'trace_id',
  lookupColumns: ['trace_id'],
  columns: [
    req('tenant_id', 'string'),
    req('trace_id', 'string'),
    col('transaction_name', 'string'),
    req('start_time_millis', 'long'),
    req('end_time_millis', 'long'),
    req('duration_millis', 'long'),
    col('services', 'string_array'),
    col('num_services', 'long'),
    col('num_spans', 'long'),
    enr('space_ids', 'string_array'),
    // Tessera additions: µs precision, the partial flag, the write revision, and the trace's
    // spans (codec.ts SpanBatch) so a late span can re-assemble the stored trace.
    ...MICROS,
    col('partial', 'boolean'),
    col('revision', 'long'),
    col('span_batch', 'bytes'),
  ],
};

/** One row per span. */
export const spanEventView: ViewDef = {
  name: 'spanEventView',
  timeColumn: 'start_time_millis',
  timeUnit: 'ms',
  tenantColumn: 'tenant_id',
  traceColumn: 'trace_id',
  lookupColumns: ['trace_id'],
  columns: [
    req('tenant_id', 'string'),
    req('span_id', 'string'),
    col('parent_span_id', 'string'),
    req('trace_id', 'string'),
    // SPAN_TYPE: ENTRY / EXIT / UNKNOWN.
    oneOf('span_kind', SPAN_TYPES),
    col('event_name', 'string'),
    col('service_id', 'string'),
    // The SERVICE entity the span is attributed to (a leaf exit counts for its caller) ...
    col('service_name', 'string'),
    // ... and the service the tracer reported (HotROD's `redis` spans): what SPAN.serviceName shows.
    col('reported_service_name', 'string'),
    col('api_id', 'string'),
    col('api_name', 'string'),
    oneOf('api_discovery_state', API_DISCOVERY_STATES),
    col('entry_api_id', 'string'),
    oneOf('protocol_name', PROTOCOL_NAMES),
    col('tags', 'string_map'),
    col('status_code', 'string'),
    oneOf('status', STATUSES),
    col('status_message', 'string'),
    req('start_time_millis', 'long'),
    col('end_time_millis', 'long'),
    col('duration_millis', 'long'),
    col('api_trace_id', 'string'),
    col('api_trace_count', 'long'),
    oneOf('api_boundary_type', API_BOUNDARY_TYPES),
    col('display_entity_name', 'string'),
    col('display_span_name', 'string'),
    col('request_url', 'string'),
    col('error_count', 'long'),
    col('exception_count', 'long'),
    enr('space_ids', 'string_array'),
    col('api_exit_calls', 'long'),
    col('api_callee_name_count', 'string_map'),
    col('api_trace_error_span_count', 'long'),
    col('spans', 'long'),
    // Tessera additions: the OTel span kind and µs precision.
    oneOf('kind', SPAN_KINDS),
    ...MICROS,
    // A bloom filter of the tags (ADR 013, tagBloom.ts): a tag search tests one of these
    // integers per row before reading the JSON. Null on rows an older build wrote.
    ...TAG_BLOOM_COLUMNS.map((name) => col(name, 'long')),
  ],
};

/**
 * One row per call between API nodes, plus callee-only rows for API traces nobody traced
 * calling, and caller-only rows for backend calls.
 */
export const serviceCallView: ViewDef = {
  name: 'serviceCallView',
  timeColumn: 'start_time_millis',
  timeUnit: 'ms',
  tenantColumn: 'tenant_id',
  traceColumn: 'trace_id',
  lookupColumns: ['trace_id'],
  columns: [
    req('tenant_id', 'string'),
    req('trace_id', 'string'),
    col('transaction_name', 'string'),
    col('client_event_id', 'string'),
    col('server_event_id', 'string'),
    col('caller_service', 'string'),
    col('caller_api', 'string'),
    col('callee_service', 'string'),
    col('callee_api', 'string'),
    col('request_url', 'string'),
    col('request_method', 'string'),
    oneOf('protocol_name', PROTOCOL_NAMES),
    col('response_status_code', 'long'),
    req('start_time_millis', 'long'),
    col('end_time_millis', 'long'),
    col('duration_millis', 'long'),
    col('error_count', 'long'),
    col('exception_count', 'long'),
    col('caller_service_id_str', 'string'),
    col('caller_api_id_str', 'string'),
    col('callee_service_id_str', 'string'),
    col('callee_api_id_str', 'string'),
    col('num_calls', 'long'),
    col('callee_backend_id', 'string'),
    col('callee_backend_name', 'string'),
    enr('caller_space_ids', 'string_array'),
    enr('callee_space_ids', 'string_array'),
    ...MICROS,
  ],
};

/** One row per span that calls a backend (a leaf exit span with a backend entity). */
export const backendEntityView: ViewDef = {
  name: 'backendEntityView',
  timeColumn: 'start_time_millis',
  timeUnit: 'ms',
  tenantColumn: 'tenant_id',
  traceColumn: 'trace_id',
  lookupColumns: ['trace_id'],
  columns: [
    req('tenant_id', 'string'),
    req('trace_id', 'string'),
    req('span_id', 'string'),
    req('backend_id', 'string'),
    col('backend_name', 'string'),
    col('backend_host', 'string'),
    col('backend_port', 'string'),
    oneOf('backend_protocol', PROTOCOLS),
    col('backend_path', 'string'),
    req('start_time_millis', 'long'),
    col('end_time_millis', 'long'),
    col('duration_millis', 'long'),
    oneOf('span_kind', SPAN_TYPES),
    col('error_count', 'long'),
    col('exception_count', 'long'),
    col('num_calls', 'long'),
    col('backend_trace_id', 'string'),
    col('caller_service_id', 'string'),
    col('caller_api_id', 'string'),
    col('tags', 'string_map'),
    col('display_name', 'string'),
    col('status_code', 'string'),
    oneOf('status', STATUSES),
    col('status_message', 'string'),
    enr('space_ids', 'string_array'),
    col('backend_operation', 'string'),
    col('backend_destination', 'string'),
    ...MICROS,
  ],
};

/** One row per API node head span that has a service: the SERVICE and API scopes' metrics. */
export const rawServiceView: ViewDef = {
  name: 'rawServiceView',
  timeColumn: 'start_time_millis',
  timeUnit: 'ms',
  tenantColumn: 'tenant_id',
  traceColumn: 'trace_id',
  lookupColumns: ['trace_id'],
  columns: [
    req('tenant_id', 'string'),
    req('trace_id', 'string'),
    req('span_id', 'string'),
    col('parent_span_id', 'string'),
    col('service_name', 'string'),
    col('service_id', 'string'),
    col('api_name', 'string'),
    col('api_id', 'string'),
    oneOf('api_discovery_state', API_DISCOVERY_STATES),
    req('start_time_millis', 'long'),
    col('end_time_millis', 'long'),
    col('duration_millis', 'long'),
    col('transaction_name', 'string'),
    oneOf('span_kind', SPAN_TYPES),
    oneOf('protocol_name', PROTOCOL_NAMES),
    col('status_code', 'string'),
    col('error_count', 'long'),
    col('exception_count', 'long'),
    col('num_calls', 'long'),
    enr('space_ids', 'string_array'),
    ...MICROS,
  ],
};

/** One row per span event (OTel event, Jaeger log, Zipkin annotation). */
export const logEventView: ViewDef = {
  name: 'logEventView',
  timeColumn: 'timestamp_nanos',
  timeUnit: 'ns',
  tenantColumn: 'tenant_id',
  traceColumn: 'trace_id',
  lookupColumns: ['trace_id'],
  columns: [
    req('timestamp_nanos', 'long'),
    req('tenant_id', 'string'),
    req('span_id', 'string'),
    req('trace_id', 'string'),
    col('attributes', 'string_map'),
    col('summary', 'string'),
  ],
};

/** Every view this build writes, in write order (rawTraceView first: it marks a stored trace). */
export const VIEWS: readonly ViewDef[] = [rawTraceView, spanEventView, serviceCallView, backendEntityView, rawServiceView, logEventView];

const byName = new Map(VIEWS.map((v) => [v.name, v]));

export function viewNamed(name: string): ViewDef | undefined {
  return byName.get(name);
}

/** The column definition, or undefined when the view has no such column. */
export function columnOf(view: ViewDef, column: string): ColumnDef | undefined {
  return view.columns.find((c) => c.name === column);
}
