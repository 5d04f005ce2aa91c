// The attribute catalog's content: every scope of reference/hypertrace-query.md §3 with its
// attributes (key, type, display name, units, METRIC, groupable, sources) and the view column
// each maps to, as Hypertrace's query-service maps them (§5). catalog.ts turns these rows into
// the one AttributeCatalog that metadata, the planner and the console read.
import type { AggregationType, AttributeFormat, AttributeType, EntityField } from './catalog.ts';

export interface Spec {
  key: string;
  /** The view column; undefined for attributes only the entity store or the gateway has. */
  column?: string;
  type: AttributeType;
  displayName: string;
  units?: string;
  kind?: 'ATTRIBUTE' | 'METRIC';
  groupable?: boolean;
  format?: AttributeFormat;
  /** Also (or, without a column, only) in the entity store. */
  entity?: EntityField;
  /** Declared aggregations, when not the defaults for the type. */
  aggregations?: AggregationType[];
  onlyAggregationsAllowed?: boolean;
  /** Computed by the gateway (INTERACTION's from/to entity attributes for edge requests). */
  virtual?: boolean;
}

export interface ScopeSpec {
  scope: string;
  /** The view queries of this scope read (query-service's handler for it). */
  view: string;
  idKey: string;
  startTimeKey: string;
  defaultOrder: { key: string; direction: 'ASC' | 'DESC' }[];
  idFilterKeys: Record<string, string>;
  /** Entity scopes: the entity store type. */
  entityType?: 'SERVICE' | 'API' | 'BACKEND';
  /** Filters every query of the scope carries (API_TRACE: API entry spans only). */
  implicit?: { key: string; op: 'eq' | 'present'; value?: string }[];
  attributes: Spec[];
}

const a = (key: string, column: string | undefined, type: AttributeType, displayName: string, extra: Partial<Spec> = {}): Spec => ({
  key, column, type, displayName, ...extra,
});
const G = { groupable: true } as const;
const M = (units = ''): Partial<Spec> => ({ kind: 'METRIC', units });
const MS = { units: 'ms', format: 'epochMs' } as const;
const TRACE_ID = { ...G, format: 'traceId' } as const;
const SPAN_ID = { ...G, format: 'spanId' } as const;
const ent = (field: EntityField, extra: Partial<Spec> = {}): Partial<Spec> => ({ entity: field, ...extra });
const attr = (name: string) => ({ attribute: name });
const counted = { onlyAggregationsAllowed: true, aggregations: ['COUNT', 'AVGRATE'] as AggregationType[] };

const times = (): Spec[] => [a('startTime', 'start_time_millis', 'LONG', 'Start Time', MS), a('endTime', 'end_time_millis', 'LONG', 'End Time', MS)];
const spaces = (): Spec => a('spaceIds', 'space_ids', 'STRING_ARRAY', 'Space IDs');
const redMetrics = (): Spec[] => [
  a('duration', 'duration_millis', 'LONG', 'Duration', M('ms')),
  a('errorCount', 'error_count', 'LONG', 'Errors', M()),
  a('exceptionCount', 'exception_count', 'LONG', 'Exceptions', M()),
  a('numCalls', 'num_calls', 'LONG', 'Call Count', M()),
];
const allTime: { key: string; direction: 'ASC' | 'DESC' }[] = [{ key: 'startTime', direction: 'DESC' }];

const SERVICE: ScopeSpec = {
  scope: 'SERVICE', view: 'rawServiceView', idKey: 'id', startTimeKey: 'startTime', entityType: 'SERVICE',
  defaultOrder: [{ key: 'name', direction: 'ASC' }, { key: 'id', direction: 'ASC' }],
  idFilterKeys: { SERVICE: 'id' },
  attributes: [
    a('id', 'service_id', 'STRING', 'Service ID', { ...G, ...ent('id') }),
    a('name', 'service_name', 'STRING', 'Service Name', { ...G, ...ent('name') }),
    a('type', undefined, 'STRING', 'Service Type', ent(attr('service_type'))),
    a('hostHeader', 'host_header', 'STRING', 'Host Header', G),
    ...times(),
    a('namespace', 'namespace_name', 'STRING', 'Namespace', G),
    a('cluster', 'cluster_name', 'STRING', 'Cluster', G),
    ...redMetrics(),
    spaces(),
  ],
};

const API: ScopeSpec = {
  scope: 'API', view: 'rawServiceView', idKey: 'id', startTimeKey: 'startTime', entityType: 'API',
  defaultOrder: [{ key: 'name', direction: 'ASC' }, { key: 'id', direction: 'ASC' }],
  idFilterKeys: { API: 'id', SERVICE: 'serviceId' },
  attributes: [
    a('id', 'api_id', 'STRING', 'Endpoint ID', { ...G, ...ent('id') }),
    a('name', 'api_name', 'STRING', 'Endpoint Name', { ...G, ...ent('name') }),
    a('apiType', undefined, 'STRING', 'Endpoint Type', ent(attr('API_TYPE'))),
    a('apiDiscoveryState', 'api_discovery_state', 'STRING', 'Discovery State', { ...G, ...ent(attr('api_discovery_state')) }),
    a('isExternal', undefined, 'BOOLEAN', 'Is External', ent(attr('is_external'))),
    ...times(),
    a('serviceName', 'service_name', 'STRING', 'Service Name', { ...G, ...ent(attr('SERVICE_NAME')) }),
    a('serviceId', 'service_id', 'STRING', 'Service ID', { ...G, ...ent(attr('SERVICE_ID')) }),
    a('namespace', 'namespace_name', 'STRING', 'Namespace', G),
    a('cluster', 'cluster_name', 'STRING', 'Cluster', G),
    ...redMetrics(),
    a('httpMethod', undefined, 'STRING', 'HTTP Method', ent(attr('http_method'))),
    a('httpUrl', undefined, 'STRING', 'HTTP URL', ent(attr('http_url'))),
    spaces(),
  ],
};

const BACKEND: ScopeSpec = {
  scope: 'BACKEND', view: 'backendEntityView', idKey: 'id', startTimeKey: 'startTime', entityType: 'BACKEND',
  defaultOrder: [{ key: 'name', direction: 'ASC' }, { key: 'id', direction: 'ASC' }],
  idFilterKeys: { BACKEND: 'id' },
  attributes: [
    a('id', 'backend_id', 'STRING', 'Backend ID', { ...G, ...ent('id') }),
    ...times(),
    a('type', 'backend_protocol', 'STRING', 'Backend Type', { ...G, ...ent(attr('BACKEND_PROTOCOL')) }),
    a('host', 'backend_host', 'STRING', 'Host', G),
    a('port', 'backend_port', 'STRING', 'Port', G),
    a('path', 'backend_path', 'STRING', 'Path', G),
    a('name', 'backend_name', 'STRING', 'Backend Name', { ...G, ...ent('name') }),
    ...redMetrics(),
    spaces(),
  ],
};

const TRACE: ScopeSpec = {
  scope: 'TRACE', view: 'rawTraceView', idKey: 'id', startTimeKey: 'startTime',
  defaultOrder: [{ key: 'startTime', direction: 'DESC' }, { key: 'id', direction: 'ASC' }],
  idFilterKeys: { TRACE: 'id' },
  attributes: [
    a('id', 'trace_id', 'STRING', 'Trace ID', TRACE_ID),
    a('traceId', 'trace_id', 'STRING', 'Trace ID', TRACE_ID),
    a('name', 'transaction_name', 'STRING', 'Transaction Name', G),
    a('transactionName', 'transaction_name', 'STRING', 'Transaction Name', G),
    ...times(),
    a('duration', 'duration_millis', 'LONG', 'Duration', M('ms')),
    a('services', 'services', 'STRING_ARRAY', 'Services', G),
    a('numServices', 'num_services', 'LONG', 'Number of Services', M('Services')),
    a('numSpans', 'num_spans', 'LONG', 'Number of Spans', M('Spans')),
    a('spaceIds', 'space_ids', 'STRING_ARRAY', 'Space IDs'),
    a('isPartial', 'partial', 'BOOLEAN', 'Partial Trace'),
    a('durationMicros', 'duration_micros', 'LONG', 'Duration (µs)', M('µs')),
  ],
};

const API_TRACE: ScopeSpec = {
  scope: 'API_TRACE', view: 'spanEventView', idKey: 'apiTraceId', startTimeKey: 'startTime',
  defaultOrder: [...allTime, { key: 'apiTraceId', direction: 'ASC' }],
  idFilterKeys: { API_TRACE: 'apiTraceId', SERVICE: 'serviceId', API: 'apiId', TRACE: 'traceId' },
  implicit: [{ key: 'apiBoundaryType', op: 'eq', value: 'ENTRY' }, { key: 'apiId', op: 'present' }],
  attributes: [
    a('apiTraceId', 'api_trace_id', 'STRING', 'API Trace ID', SPAN_ID),
    a('traceId', 'trace_id', 'STRING', 'Trace ID', TRACE_ID),
    ...times(),
    a('serviceName', 'service_name', 'STRING', 'Service Name', G),
    a('serviceId', 'service_id', 'STRING', 'Service ID', G),
    a('apiName', 'api_name', 'STRING', 'Endpoint Name', G),
    a('apiId', 'api_id', 'STRING', 'Endpoint ID', G),
    a('apiDiscoveryState', 'api_discovery_state', 'STRING', 'Discovery State', G),
    a('duration', 'duration_millis', 'LONG', 'Duration', M('ms')),
    a('protocol', 'protocol_name', 'STRING', 'Protocol', G),
    a('statusCode', 'status_code', 'STRING', 'Status Code', G),
    a('apiBoundaryType', 'api_boundary_type', 'STRING', 'Boundary Type', G),
    a('userAgent', 'user_agent', 'STRING', 'User Agent', G),
    a('tags', 'tags', 'STRING_MAP', 'Attributes'),
    a('status', 'status', 'STRING', 'Status'),
    a('statusMessage', 'status_message', 'STRING', 'Status Message', G),
    a('calls', 'api_trace_count', 'LONG', 'Calls', counted),
    a('requestMethod', 'request_method', 'STRING', 'Request Method', G),
    a('requestUrl', 'request_url', 'STRING', 'Request URL', G),
    a('errorCount', 'error_count', 'LONG', 'Errors', M('Errors')),
    a('spaceIds', 'space_ids', 'STRING_ARRAY', 'Space IDs'),
    a('apiExitCalls', 'api_exit_calls', 'LONG', 'Exit Calls'),
    a('apiCalleeNameCount', 'api_callee_name_count', 'STRING_MAP', 'Callee Name Count'),
    a('apiTraceErrorSpanCount', 'api_trace_error_span_count', 'LONG', 'Error Span Count'),
  ],
};

const BACKEND_TRACE: ScopeSpec = {
  scope: 'BACKEND_TRACE', view: 'backendEntityView', idKey: 'backendTraceId', startTimeKey: 'startTime',
  defaultOrder: [...allTime, { key: 'backendTraceId', direction: 'ASC' }],
  idFilterKeys: { BACKEND_TRACE: 'backendTraceId', SERVICE: 'callerServiceId', API: 'callerApiId', TRACE: 'traceId', BACKEND: 'backendId' },
  attributes: [
    a('backendTraceId', 'backend_trace_id', 'STRING', 'Backend Trace ID', SPAN_ID),
    a('traceId', 'trace_id', 'STRING', 'Trace ID', TRACE_ID),
    a('callerServiceId', 'caller_service_id', 'STRING', 'Caller Service ID', G),
    a('callerApiId', 'caller_api_id', 'STRING', 'Caller Endpoint ID', G),
    a('backendId', 'backend_id', 'STRING', 'Backend ID', G),
    a('name', 'display_name', 'STRING', 'Name', G),
    a('operation', 'backend_operation', 'STRING', 'Operation', G),
    a('host', 'backend_host', 'STRING', 'Host', G),
    a('port', 'backend_port', 'STRING', 'Port', G),
    a('type', 'backend_protocol', 'STRING', 'Backend Type', G),
    a('path', 'backend_path', 'STRING', 'Path', G),
    ...times(),
    a('duration', 'duration_millis', 'LONG', 'Duration', M('ms')),
    a('statusCode', 'status_code', 'STRING', 'Status Code', G),
    a('status', 'status', 'STRING', 'Status', G),
    a('statusMessage', 'status_message', 'STRING', 'Status Message', G),
    a('tags', 'tags', 'STRING_MAP', 'Attributes'),
    a('destination', 'backend_destination', 'STRING', 'Destination', G),
    a('spaceIds', 'space_ids', 'STRING_ARRAY', 'Space IDs'),
    a('errorCount', 'error_count', 'LONG', 'Errors', M()),
  ],
};

const SPAN: ScopeSpec = {
  scope: 'SPAN', view: 'spanEventView', idKey: 'id', startTimeKey: 'startTime',
  defaultOrder: [{ key: 'startTime', direction: 'ASC' }, { key: 'id', direction: 'ASC' }],
  idFilterKeys: { SPAN: 'id', TRACE: 'traceId', API_TRACE: 'apiTraceId' },
  attributes: [
    a('id', 'span_id', 'STRING', 'Span ID', SPAN_ID),
    a('traceId', 'trace_id', 'STRING', 'Trace ID', TRACE_ID),
    a('parentSpanId', 'parent_span_id', 'STRING', 'Parent Span ID', SPAN_ID),
    // The service the tracer reported; serviceId is the SERVICE entity the span counts for.
    a('serviceName', 'reported_service_name', 'STRING', 'Service Name', G),
    a('serviceId', 'service_id', 'STRING', 'Service ID', G),
    a('apiId', 'api_id', 'STRING', 'Endpoint ID', G),
    a('apiName', 'api_name', 'STRING', 'Endpoint Name', G),
    a('apiTraceId', 'api_trace_id', 'STRING', 'API Trace ID', SPAN_ID),
    a('displaySpanName', 'display_span_name', 'STRING', 'Span Name', G),
    a('displayEntityName', 'display_entity_name', 'STRING', 'Entity Name', G),
    a('name', 'event_name', 'STRING', 'Operation Name', G),
    ...times(),
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
    a('spanRequestMethod', 'request_method', 'STRING', 'Request Method', G),
    a('spanRequestParams', 'request_params', 'STRING_MAP', 'Request Parameters'),
    a('errorCount', 'error_count', 'LONG', 'Errors', M()),
    a('exceptionCount', 'exception_count', 'LONG', 'Exceptions', M()),
    a('spaceIds', 'space_ids', 'STRING_ARRAY', 'Space IDs'),
    a('spans', 'spans', 'LONG', 'Spans', counted),
  ],
};

const INTERACTION: ScopeSpec = {
  scope: 'INTERACTION', view: 'serviceCallView', idKey: 'fromEntityId', startTimeKey: 'startTime',
  defaultOrder: allTime,
  idFilterKeys: {},
  attributes: [
    ...times(),
    a('fromEntityType', undefined, 'STRING', 'From Entity Type', { ...G, virtual: true }),
    a('toEntityType', undefined, 'STRING', 'To Entity Type', { ...G, virtual: true }),
    a('fromEntityId', undefined, 'STRING', 'From Entity ID', { ...G, virtual: true }),
    a('toEntityId', undefined, 'STRING', 'To Entity ID', { ...G, virtual: true }),
    a('duration', 'duration_millis', 'LONG', 'Duration', M('ms')),
    a('numCalls', 'num_calls', 'LONG', 'Call Count', M()),
    a('errorCount', 'error_count', 'LONG', 'Errors', M()),
    a('exceptionCount', 'exception_count', 'LONG', 'Exceptions', M()),
    a('fromServiceId', 'caller_service_id_str', 'STRING', 'From Service ID', G),
    a('toServiceId', 'callee_service_id_str', 'STRING', 'To Service ID', G),
    a('fromServiceName', 'caller_service', 'STRING', 'From Service Name', G),
    a('toServiceName', 'callee_service', 'STRING', 'To Service Name', G),
    a('fromApiId', 'caller_api_id_str', 'STRING', 'From Endpoint ID', G),
    a('toApiId', 'callee_api_id_str', 'STRING', 'To Endpoint ID', G),
    a('fromApiName', 'caller_api', 'STRING', 'From Endpoint Name', G),
    a('toApiName', 'callee_api', 'STRING', 'To Endpoint Name', G),
    a('toBackendId', 'callee_backend_id', 'STRING', 'To Backend ID', G),
    a('toBackendName', 'callee_backend_name', 'STRING', 'To Backend Name', G),
    a('fromSpaceIds', 'caller_space_ids', 'STRING_ARRAY', 'From Space IDs'),
    a('toSpaceIds', 'callee_space_ids', 'STRING_ARRAY', 'To Space IDs'),
  ],
};

const LOG_EVENT: ScopeSpec = {
  scope: 'LOG_EVENT', view: 'logEventView', idKey: 'spanId', startTimeKey: 'timestamp',
  defaultOrder: [{ key: 'timestamp', direction: 'ASC' }],
  idFilterKeys: { SPAN: 'spanId', TRACE: 'traceId' },
  attributes: [
    a('timestamp', 'timestamp_nanos', 'TIMESTAMP', 'Timestamp', { units: 'ns', format: 'epochNs' }),
    a('spanId', 'span_id', 'STRING', 'Span ID', { format: 'spanId' }),
    a('traceId', 'trace_id', 'STRING', 'Trace ID', { format: 'traceId' }),
    a('attributes', 'attributes', 'STRING_MAP', 'Attributes'),
    a('summary', 'summary', 'STRING', 'Summary'),
  ],
};

/** Every scope, in the order metadata lists them. */
export const SCOPE_SPECS: readonly ScopeSpec[] = [SERVICE, API, BACKEND, TRACE, API_TRACE, BACKEND_TRACE, SPAN, INTERACTION, LOG_EVENT];
