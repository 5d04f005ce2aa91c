// The gRPC receivers: OTLP `TraceService/Export` and Jaeger `CollectorService/PostSpans`, each
// on its own grpc-js server. Service definitions come from protos/ through proto-loader; the
// request is handed over as raw bytes so it goes through the same decoders as HTTP.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { type TesseraError, asTesseraError, grpcStatusOf, invalid } from '../errors.ts';
import type { Span } from '../model/span.ts';
import { TENANT_HEADER, tenantOf } from './http-edge.ts';
import { decodeJaegerPostSpans } from './jaeger-proto.ts';
import { decodeOtlpProto } from './otlp-proto.ts';
import { loadGrpcDefinitions } from './protos.ts';
import type { RefusalLog } from './refusals.ts';
import type { IngestSink } from './sink.ts';

export interface GrpcReceiverOptions {
  sink: IngestSink;
  defaultTenant: string;
  /** Largest accepted message (grpc-js answers RESOURCE_EXHAUSTED above it). */
  maxBodyBytes: number;
  host: string;
  port: number;
  logger: Logger;
  refusals: RefusalLog;
}

export interface RunningGrpcServer {
  port: number;
  close(): Promise<void>;
}

const OTLP_SERVICE = 'opentelemetry.proto.collector.trace.v1.TraceService';
const JAEGER_SERVICE = 'jaeger.api_v2.CollectorService';

let definitions: grpc.GrpcObject | undefined;

/** A service definition whose request deserializer hands over the raw message bytes. */
function rawRequestService(name: string): grpc.ServiceDefinition {
  definitions ??= grpc.loadPackageDefinition(loadGrpcDefinitions());
  let node: any = definitions;
  for (const part of name.split('.')) node = node[part];
  const service = node.service as grpc.ServiceDefinition;
  const raw: Record<string, grpc.MethodDefinition<Buffer, unknown>> = {};
  for (const [method, def] of Object.entries(service)) raw[method] = { ...def, requestDeserialize: (bytes: Buffer) => bytes };
  return raw as grpc.ServiceDefinition;
}

/** Serves OTLP/gRPC TraceService/Export; answers partial_success for rejected spans. */
export function startOtlpGrpcServer(o: GrpcReceiverOptions): Promise<RunningGrpcServer> {
  const receiver = 'otlp-grpc';
  return startServer(o, rawRequestService(OTLP_SERVICE), {
    Export: unary(o, receiver, async (bytes, tenant) => {
      const result = decodeOtlpProto(bytes, tenant);
      if (result.rejected > 0 && result.spans.length === 0) throw invalid(`OTLP: ${result.errorMessage}`);
      await accept(o.sink, result.spans);
      if (result.rejected === 0) return {};
      o.refusals.refuse(receiver, 'INVALID_ARGUMENT', result.errorMessage, result.rejected);
      return { partialSuccess: { rejectedSpans: result.rejected, errorMessage: result.errorMessage } };
    }),
  });
}

/** Serves Jaeger gRPC CollectorService/PostSpans (all or nothing). */
export function startJaegerGrpcServer(o: GrpcReceiverOptions): Promise<RunningGrpcServer> {
  return startServer(o, rawRequestService(JAEGER_SERVICE), {
    PostSpans: unary(o, 'jaeger-grpc', async (bytes, tenant) => {
      await accept(o.sink, decodeJaegerPostSpans(bytes, tenant));
      return {};
    }),
  });
}

async function accept(sink: IngestSink, spans: Span[]): Promise<void> {
  if (spans.length > 0) await sink.accept(spans);
}

type Work = (bytes: Buffer, tenant: string) => Promise<object>;

/** A unary handler that maps TesseraErrors to gRPC statuses and counts every refusal. */
function unary(o: GrpcReceiverOptions, receiver: string, work: Work): grpc.handleUnaryCall<Buffer, object> {
  return (call, callback) => {
    const run = async () => {
      const header = call.metadata.get(TENANT_HEADER).map(String);
      const tenant = tenantOf(header.length > 1 ? header : header[0], o.defaultTenant);
      // Over the span log's bound: refused before decoding (see IngestSink.refusal).
      const refused = o.sink.refusal?.();
      if (refused) throw refused;
      return work(call.request, tenant);
    };
    run().then(
      (response) => callback(null, response),
      (caught: unknown) => {
        const err = asTesseraError(caught);
        o.refusals.refuse(receiver, err.code, err.message);
        if (err.code === 'INTERNAL') o.logger.error({ err: err.cause ?? err, receiver }, 'receiver failed on a request');
        callback(statusOf(err));
      },
    );
  };
}

function statusOf(err: TesseraError): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (err.retryAfterSec !== undefined) metadata.set('retry-after', String(Math.max(1, Math.ceil(err.retryAfterSec))));
  return { code: grpcStatusOf(err), details: err.message, metadata };
}

function startServer(o: GrpcReceiverOptions, service: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation): Promise<RunningGrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': o.maxBodyBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  server.addService(service, impl);
  const host = o.host.includes(':') && !o.host.startsWith('[') ? `[${o.host}]` : o.host;
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${o.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) {
        server.forceShutdown();
        reject(err);
        return;
      }
      resolve({ port, close: () => shutdown(server) });
    });
  });
}

/** Lets in-flight calls finish for a moment, then cuts the rest. */
function shutdown(server: grpc.Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
