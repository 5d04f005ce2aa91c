// RPC / gRPC first-class fields resolved when read (hypertrace-ingest §2.3). Current OTel RPC
// conventions name the system `rpc.system.name`, put a fully-qualified "Service/Method" in
// `rpc.method` and a status name ("NOT_FOUND") in `rpc.status_code`; all are read alongside
// the older forms.

import type { KeyList, SpanLike } from './attrs.ts';
import { firstOf, headerOf, intOf, valueOf } from './attrs.ts';
import { otelPeerUri, sanitizeAuthority } from './peer.ts';

export const RPC_SYSTEM_KEYS: KeyList = ['rpc.system', 'rpc.system.name'];
export const GRPC_STATUS_CODE_KEYS: KeyList = [
  'rpc.grpc.status_code',
  'status.code',
  'grpc.status_code',
  'rpc.status_code',
  'rpc.response.status_code',
  'census.status_code',
];
export const GRPC_STATUS_MESSAGE_KEYS: KeyList = ['status.message', 'grpc.message'];
export const RPC_OPERATION_KEYS: KeyList = ['grpc.method', 'rpc.method'];

/** gRPC status names by code (grpc/doc/statuscodes.md). */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** The RPC system, lower-cased ("grpc", "dubbo", ...), or ''. */
export function rpcSystem(span: SpanLike): string {
  return firstOf(span.attributes, RPC_SYSTEM_KEYS).toLowerCase();
}

/** Whether the span says it is a gRPC call (`rpc.system.name` / `rpc.system` = grpc). */
export function isGrpcSystem(span: SpanLike): boolean {
  return rpcSystem(span) === 'grpc';
}

/** A status value as a gRPC code: a decimal integer or a status name (any case); -1 if neither. */
export function grpcCodeOf(value: string): number {
  if (value === '') return -1;
  const n = intOf(value);
  if (n !== undefined) return n;
  return GRPC_STATUS_NAMES.indexOf(value.toUpperCase());
}

/** The gRPC status code from the first key holding a code or status name; -1 if absent. */
export function grpcStatusCode(span: SpanLike): number {
  const attrs = span.attributes;
  for (let i = 0; i < GRPC_STATUS_CODE_KEYS.length; i++) {
    const code = grpcCodeOf(valueOf(attrs, GRPC_STATUS_CODE_KEYS[i]));
    if (code >= 0) return code;
  }
  return -1;
}

/** The status name of a gRPC code ("NOT_FOUND"), or '' for an unknown code. */
export function grpcStatusName(code: number): string {
  return GRPC_STATUS_NAMES[code] ?? '';
}

/** The error message of a failed call: OTel `exception.message` and `rpc.error_message` (gRPC only), then `grpc.error_message`. */
export function grpcErrorMessage(span: SpanLike): string {
  const attrs = span.attributes;
  if (isGrpcSystem(span)) {
    const message = valueOf(attrs, 'exception.message') || valueOf(attrs, 'rpc.error_message');
    if (message !== '') return message;
  }
  return valueOf(attrs, 'grpc.error_message');
}

/** The status message (`status.message`, envoy `grpc.message`), else the error message; '' if none. */
export function grpcStatusMessage(span: SpanLike): string {
  return firstOf(span.attributes, GRPC_STATUS_MESSAGE_KEYS) || grpcErrorMessage(span);
}

/**
 * The called host[:port]: agent `grpc.host_port`; then the sanitized `:authority` request
 * metadata (gRPC only) or envoy `grpc.authority`; then the OTel peer (gRPC only). '' if none.
 */
export function grpcUri(span: SpanLike): string {
  const attrs = span.attributes;
  const hostPort = valueOf(attrs, 'grpc.host_port');
  if (hostPort !== '') return hostPort;
  const grpc = isGrpcSystem(span);
  const authority = grpc ? headerOf(attrs, 'rpc.request.metadata.:authority') : '';
  const sanitized = sanitizeAuthority(authority !== '' ? authority : valueOf(attrs, 'grpc.authority'));
  if (sanitized !== '') return sanitized;
  return grpc ? otelPeerUri(span) : '';
}

/** "/pkg.Service/Method" → "pkg.Service.Method": slashes to dots, empty segments dropped. */
export function dottedPath(path: string): string {
  let out = '';
  for (const part of path.split('/')) {
    const p = part.trim();
    if (p !== '') out = out === '' ? p : `${out}.${p}`;
  }
  return out;
}

/**
 * The called endpoint in dotted form: an OpenCensus name without its `Recv.` / `Sent.`
 * prefix; else `rpc.request.metadata.:path`; else service.method from the RPC keys; else
 * `http.request.header.:path`, `grpc.path`; else the span name.
 */
export function grpcEndpoint(span: SpanLike): string {
  const name = span.name;
  if (name.startsWith('Recv.') || name.startsWith('Sent.')) return name.slice(5).trim();
  const attrs = span.attributes;
  const metadataPath = dottedPath(headerOf(attrs, 'rpc.request.metadata.:path'));
  if (metadataPath !== '') return metadataPath;
  const service = rpcService(span);
  const method = rpcMethod(span);
  if (service !== '' && method !== '') return `${service}.${method}`;
  const headerPath = dottedPath(headerOf(attrs, 'http.request.header.:path'));
  if (headerPath !== '') return headerPath;
  const grpcPath = dottedPath(valueOf(attrs, 'grpc.path'));
  return grpcPath !== '' ? grpcPath : name;
}

/** Index of the "/" that splits a fully-qualified "Service/Method", or -1. */
function methodSlash(qualified: string): number {
  const slash = qualified.lastIndexOf('/');
  return slash > 0 && slash < qualified.length - 1 ? slash : -1;
}

/** `rpc.service`, else the service part of a fully-qualified `rpc.method`; '' if none. */
export function rpcService(span: SpanLike): string {
  const attrs = span.attributes;
  const service = valueOf(attrs, 'rpc.service');
  if (service !== '') return service;
  const method = trimLeadingSlash(valueOf(attrs, 'rpc.method'));
  const slash = methodSlash(method);
  return slash < 0 ? '' : method.slice(0, slash);
}

/** The method part of `rpc.method` (after the "/" of a fully-qualified name); '' if none. */
export function rpcMethod(span: SpanLike): string {
  const method = trimLeadingSlash(valueOf(span.attributes, 'rpc.method'));
  const slash = methodSlash(method);
  return slash < 0 ? method : method.slice(slash + 1);
}

/** The operation as recorded: agent `grpc.method`, else `rpc.method`; '' if none. */
export function rpcOperation(span: SpanLike): string {
  return firstOf(span.attributes, RPC_OPERATION_KEYS);
}

/** The client's user agent from gRPC request metadata (gRPC only), or ''. */
export function grpcUserAgent(span: SpanLike): string {
  return isGrpcSystem(span) ? headerOf(span.attributes, 'rpc.request.metadata.user-agent') : '';
}

function trimLeadingSlash(value: string): string {
  return value.startsWith('/') ? value.slice(1) : value;
}
