// The query views, defined once. Each ViewStore adapter renders its own DDL from these
// definitions (DuckDB now; PostgreSQL and Pinot later), and the gateway's attribute catalog
// points at their columns. Columns follow reference/hypertrace-ingest.md §6; the ones only
// enrichment can fill (span type refinements, API and service ids, API traces, spaces…) are
// declared now and hold their null/default value until the enrichers land.

/** Neutral column types; adapters map them to their dialect. */
export type ColumnType = 'string' | 'long' | 'double' | 'boolean' | 'string_map' | 'string_array' | 'bytes';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** Never null (identity columns). */
  required?: boolean;
  /** Filled only by enrichment (a later issue); null or its default until then. */
  enrichment?: boolean;
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
    col('start_time_micros', 'long'),
    col('end_time_micros', 'long'),
    col('duration_micros', 'long'),
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
    // SPAN_TYPE: ENTRY / EXIT / UNKNOWN (from the span kind now; the enricher refines it).
    col('span_kind', 'string'),
    col('event_name', 'string'),
    enr('service_id', 'string'),
    col('service_name', 'string'),
    enr('api_id', 'string'),
    enr('api_name', 'string'),
    enr('api_discovery_state', 'string'),
    enr('entry_api_id', 'string'),
    col('protocol_name', 'string'),
    col('tags', 'string_map'),
    col('status_code', 'string'),
    col('status', 'string'),
    col('status_message', 'string'),
    req('start_time_millis', 'long'),
    col('end_time_millis', 'long'),
    col('duration_millis', 'long'),
    enr('api_trace_id', 'string'),
    enr('api_trace_count', 'long'),
    enr('api_boundary_type', 'string'),
    col('display_entity_name', 'string'),
    col('display_span_name', 'string'),
    enr('request_url', 'string'),
    col('error_count', 'long'),
    col('exception_count', 'long'),
    enr('space_ids', 'string_array'),
    enr('api_exit_calls', 'long'),
    enr('api_callee_name_count', 'string_map'),
    enr('api_trace_error_span_count', 'long'),
    col('spans', 'long'),
    // Tessera additions: the OTel span kind and µs precision.
    col('kind', 'string'),
    col('start_time_micros', 'long'),
    col('end_time_micros', 'long'),
    col('duration_micros', 'long'),
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

/** Every view this build writes, in write order. */
export const VIEWS: readonly ViewDef[] = [rawTraceView, spanEventView, logEventView];

const byName = new Map(VIEWS.map((v) => [v.name, v]));

export function viewNamed(name: string): ViewDef | undefined {
  return byName.get(name);
}

/** The column definition, or undefined when the view has no such column. */
export function columnOf(view: ViewDef, column: string): ColumnDef | undefined {
  return view.columns.find((c) => c.name === column);
}
