// Per-span values several views share, read from the enriched columns (src/enrich/types.ts)
// with the fallbacks the views promise when an enricher failed on a trace. Module-level
// functions over (trace, index): they run for every span, so no objects or closures per call.
import type { EnrichedTrace } from '../enrich/types.ts';
import { httpUrl } from '../normalize/index.ts';

/** Epoch milliseconds of a µs time, rounded down. */
export const ms = (us: number): number => Math.floor(us / 1000);

/** '' as null: the views store a missing string as null, never as ''. */
export const orNull = (s: string): string | null => (s === '' ? null : s);

/**
 * The service a span is attributed to (SERVICE_NAME): the enricher's answer, which moves a leaf
 * exit to its caller's service; the span's own service where enrichment gave none.
 */
export function serviceNameOf(trace: EnrichedTrace, i: number): string {
  const name = trace.enriched.serviceName[i];
  return name === '' ? trace.spans[i].serviceName : name;
}

/** PROTOCOL as the views store it: the enum name, '' when unknown. */
export function protocolNameOf(trace: EnrichedTrace, i: number): string {
  const p = trace.enriched.protocol[i];
  return p === 'UNKNOWN' ? '' : p;
}

/** API status (HTTP or gRPC) when the span has one, else the OTel span status. */
export function statusOf(trace: EnrichedTrace, i: number): string | null {
  const s = trace.enriched.apiStatus[i];
  if (s !== '') return s;
  const code = trace.spans[i].statusCode;
  return code === 2 ? 'FAIL' : code === 1 ? 'SUCCESS' : null;
}

export function statusCodeOf(trace: EnrichedTrace, i: number): string | null {
  return orNull(trace.enriched.apiStatusCode[i]);
}

export function statusMessageOf(trace: EnrichedTrace, i: number): string | null {
  const m = trace.enriched.apiStatusMessage[i];
  return m !== '' ? m : orNull(trace.spans[i].statusMessage);
}

/** The numeric protocol status code (serviceCallView response_status_code); null when none. */
export function responseStatusCodeOf(trace: EnrichedTrace, i: number): number | null {
  const code = trace.enriched.apiStatusCode[i];
  if (code === '') return null;
  const n = Number(code);
  return Number.isInteger(n) ? n : null;
}

/**
 * request_url: for HTTP(S) the full URL, else the path; for gRPC `grpc.request.url`, else the
 * operation name; null for other protocols.
 */
export function requestUrlOf(trace: EnrichedTrace, i: number): string | null {
  const protocol = trace.enriched.protocol[i];
  if (protocol === 'HTTP' || protocol === 'HTTPS') {
    const url = httpUrl(trace.spans[i]);
    return url !== '' ? url : orNull(trace.enriched.httpPath[i]);
  }
  if (protocol === 'GRPC') {
    const url = trace.enriched.grpcUrl[i];
    return url !== '' ? url : trace.spans[i].name;
  }
  return null;
}

/** The API id of the span's API trace (its node's entry span); '' when the node has none. */
export function entryApiIdOf(trace: EnrichedTrace, i: number): string {
  const entry = trace.enriched.apiEntry[i];
  return entry === -1 ? '' : trace.enriched.apiId[entry];
}

/**
 * TRANSACTION_NAME: the API name of a trace that starts with an API entry; otherwise (Tessera's
 * addition) the first root span's name, so every trace has a name to list it by.
 */
export function transactionNameOf(trace: EnrichedTrace): string | null {
  if (trace.summary.transactionName !== '') return trace.summary.transactionName;
  const root = trace.spans[trace.roots[0] ?? 0];
  return root === undefined ? null : orNull(root.name);
}
