// What enrichment adds to an assembled trace (hypertrace-ingest §4), kept as columns: one array
// per enriched attribute, indexed like `trace.spans`, so the view writer reads them without maps
// and enrichment allocates a fixed number of arrays per trace, not objects per span.

import type { AssembledTrace } from '../model/trace.ts';
import type { Entity } from './entity.ts';

/** SPAN_TYPE: the span's own direction, from its kind (or the older keys). */
export type SpanType = 'ENTRY' | 'EXIT' | 'UNKNOWN';

/** API_BOUNDARY_TYPE: '' when the span is neither the entry into nor the exit out of an API call. */
export type ApiBoundary = 'ENTRY' | 'EXIT' | '';

/** Hypertrace's PROTOCOL enum widened with the database and broker names (normalize/protocol.ts). */
export type { Protocol } from '../normalize/index.ts';
import type { Protocol } from '../normalize/index.ts';

/** BACKEND_PROTOCOL: the BackendType enum. */
export type BackendProtocol =
  | 'UNKNOWN'
  | 'HTTP'
  | 'HTTPS'
  | 'GRPC'
  | 'REDIS'
  | 'MONGO'
  | 'JDBC'
  | 'CASSANDRA'
  | 'ELASTICSEARCH'
  | 'RABBIT_MQ'
  | 'KAFKA'
  | 'SQS';

export type ApiStatus = 'SUCCESS' | 'FAIL' | '';

/**
 * Where an API name came from (entity attribute `api_name_source`); 'bound' when the
 * per-service bound collapsed it into a wildcard.
 */
export type ApiNameSource = 'http.route' | 'rpc' | 'path' | 'operation' | 'bound';

/** The backend a leaf exit span calls (BACKEND_* enriched attributes). */
export interface SpanBackend {
  id: string;
  name: string;
  host: string;
  /** '-1' when unknown, as Hypertrace stores it. */
  port: string;
  protocol: BackendProtocol;
  /** '' when the provider has none. */
  path: string;
  operation: string;
  destination: string;
}

/** Parsed user agent (UA_* enriched attributes). */
export interface UserAgentInfo {
  name: string;
  type: string;
  deviceCategory: string;
  osName: string;
  osVersion: string;
  browserVersion: string;
}

/** Per-span enriched attributes, each array indexed like `trace.spans`. */
export interface SpanColumns {
  spanType: SpanType[];
  protocol: Protocol[];
  apiBoundary: ApiBoundary[];
  /** Index into `apiNodes` of the node holding the span; -1 when none. */
  apiNode: Int32Array;
  /**
   * Index of the API-entry span of the span's node (its API trace): api_trace_id and
   * entry_api_id come from it. -1 when the node has no entry span.
   */
  apiEntry: Int32Array;
  /**
   * For exit spans: the API-entry span the call lands on (the entry child of the exit-boundary
   * span, also for the exit spans above it up to the caller's entry); -1 when none. The views'
   * display names use it.
   */
  calleeEntry: Int32Array;
  serviceId: string[];
  serviceName: string[];
  /** API of the span's node (copied from its entry span to every span of the node). */
  apiId: string[];
  apiName: string[];
  apiNameSource: (ApiNameSource | '')[];
  /** Set on leaf exit spans that call a backend; null elsewhere. */
  backend: (SpanBackend | null)[];
  apiStatus: ApiStatus[];
  /** The HTTP or gRPC status code as text; '' when the span has none. */
  apiStatusCode: string[];
  apiStatusMessage: string[];
  errorCount: Uint8Array;
  exceptionCount: Uint8Array;
  /** HTTP_HOST of API-entry spans (port and "localhost" dropped). */
  httpHost: string[];
  /** The resolved request path (`http.request.path`); '' for non-HTTP spans. */
  httpPath: string[];
  /** `http.request.query.param.<name>`: every value of each query parameter; null when none. */
  queryParams: (Record<string, string[]> | null)[];
  userAgent: (UserAgentInfo | null)[];
  /** gRPC spans: `grpc.request.endpoint` and `grpc.request.url` ("Recv."/"Sent." + endpoint). */
  grpcEndpoint: string[];
  grpcUrl: string[];
}

/** One API invocation inside one service (Hypertrace's ApiNode). */
export interface ApiNode {
  /** The node's first span: its entry span, or a root that is not an entry. */
  head: number;
  /** The API-entry span, or -1 for a node headed by an exit or internal root. */
  entry: number;
  /** Every span of the node, head first, breadth-first. */
  spans: number[];
  /** The node's API-exit spans. */
  exits: number[];
  /** Backend calls (exits with no outgoing edge) plus outgoing API-node edges. */
  exitCalls: number;
  /** Callee service or backend name → calls ("unknown-service" / "unknown-backend" when missing). */
  calleeNameCount: Record<string, number>;
  /** Spans of the node with an error (API_TRACE_ERROR_SPAN_COUNT on the entry span). */
  errorSpanCount: number;
}

/**
 * A call from one API node into another: from an exit span to the entry span it calls, or
 * entry → entry across services when a proxy emitted no exit span (Istio, Kong).
 */
export interface ApiNodeEdge {
  kind: 'EXIT_ENTRY' | 'ENTRY_ENTRY';
  fromSpan: number;
  toSpan: number;
  fromNode: number;
  toNode: number;
}

/** Trace-level results (trace attributes and metrics of the reference). */
export interface TraceSummary {
  /** TRANSACTION_NAME: the API name of the earliest span when it is an entry; '' otherwise. */
  transactionName: string;
  transactionHasError: boolean;
  spanCountWithErrors: number;
  spanCountWithExceptions: number;
  /** `api.exit.calls.count`: exit calls over every API node. */
  apiExitCalls: number;
  /** `unique.apis.count`: distinct API ids over nodes that have an entry span. */
  uniqueApis: number;
  /** `head.event.id`: the head span of the first API node; -1 when there is no node. */
  headSpan: number;
  /** Distinct service names of the trace, in span order. */
  services: string[];
}

/** An assembled trace with everything enrichment found. */
export interface EnrichedTrace extends AssembledTrace {
  enriched: SpanColumns;
  apiNodes: ApiNode[];
  apiEdges: ApiNodeEdge[];
  /** API-entry spans no edge leads into (a root entry, or a caller that was not traced). */
  entriesWithoutIncoming: number[];
  /** API-exit spans no edge leaves from: the backend calls. */
  exitsWithoutOutgoing: number[];
  summary: TraceSummary;
  /** SERVICE, API and BACKEND entities this trace references, each once, first use first. */
  entities: Entity[];
  /** Names of the enrichers that threw on this trace (their columns keep their defaults). */
  failures: string[];
}
