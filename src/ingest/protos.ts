// The wire schemas, loaded once from protos/ (the single source of truth): one protobufjs Root
// for the decoders and the HTTP answers, and the proto-loader definitions for the gRPC servers.

import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import * as protoLoader from '@grpc/proto-loader';

export const PROTOS_DIR = fileURLToPath(new URL('../../protos/', import.meta.url));

export const OTLP_TRACE_SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';
export const JAEGER_COLLECTOR_PROTO = 'jaeger/api_v2/collector.proto';
export const ZIPKIN_PROTO = 'zipkin/zipkin.proto';

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports resolve against protos/; the google/protobuf well-known types are built into protobufjs.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : PROTOS_DIR + target);
  root.loadSync([OTLP_TRACE_SERVICE_PROTO, JAEGER_COLLECTOR_PROTO, ZIPKIN_PROTO]);
  // google.rpc.Status, the error body of OTLP/HTTP; declared here (not under protos/) because
  // only its first two fields are ever written.
  const rpc = root.define('google.rpc');
  rpc.add(new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string')));
  root.resolveAll();
  return root;
}

export const root = loadRoot();

export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const JaegerPostSpansRequest = root.lookupType('jaeger.api_v2.PostSpansRequest');
export const ZipkinListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');
export const RpcStatus = root.lookupType('google.rpc.Status');

/** proto-loader definitions for the gRPC services (numbers, not enum names; Buffers for bytes). */
export function loadGrpcDefinitions(): protoLoader.PackageDefinition {
  return protoLoader.loadSync([OTLP_TRACE_SERVICE_PROTO, JAEGER_COLLECTOR_PROTO], {
    includeDirs: [PROTOS_DIR],
    keepCase: false,
    longs: Number,
    enums: Number,
    defaults: false,
    oneofs: true,
  });
}
