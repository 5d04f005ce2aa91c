// The protocol edges of a node: OTLP/gRPC, OTLP/HTTP, Zipkin and Jaeger gRPC, each on its own
// port (0 = any free port; the ports actually bound are returned). They only translate to
// `sink.accept(spans)`; the Jaeger UI import handler is mounted by the node on its main port.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { TesseraError } from '../errors.ts';
import { startJaegerGrpcServer, startOtlpGrpcServer } from './grpc.ts';
import type { HandlerOptions, RequestHandler } from './http-edge.ts';
import { buildJaegerImportHandler, buildZipkinHandler } from './zipkin-jaeger-http.ts';
import { buildOtlpHttpHandler } from './otlp-http.ts';
import { RefusalLog, type RefusalCounts } from './refusals.ts';
import type { IngestSink } from './sink.ts';

export { buildJaegerImportHandler, buildOtlpHttpHandler, buildZipkinHandler };
export type { HandlerOptions, RequestHandler };
export { decodeJaegerUiJson } from './jaeger-ui-json.ts';

export interface ReceiverPorts {
  otlpGrpc: number;
  otlpHttp: number;
  zipkin: number;
  jaegerGrpc: number;
}

export interface ReceiverOptions {
  sink: IngestSink;
  defaultTenant: string;
  maxBodyBytes: number;
  host: string;
  ports: ReceiverPorts;
  logger: Logger;
}

export interface RunningReceivers {
  ports: ReceiverPorts;
  /** Refused requests by receiver and code since start (also logged once per interval). */
  refusals(): RefusalCounts;
  close(): Promise<void>;
}

/** Starts the four receivers; if one cannot bind, the others are closed and the error thrown. */
export async function startReceivers(o: ReceiverOptions): Promise<RunningReceivers> {
  if (!Number.isSafeInteger(o.maxBodyBytes) || o.maxBodyBytes <= 0) {
    throw new TesseraError('CONFIG', `maxBodyBytes must be a positive integer, got ${o.maxBodyBytes}`);
  }
  const logger = o.logger.child({ component: 'receivers' });
  const refusals = new RefusalLog(logger);
  const handlerOpts: HandlerOptions = { sink: o.sink, defaultTenant: o.defaultTenant, maxBodyBytes: o.maxBodyBytes, logger, refusals };
  const grpcOpts = { ...handlerOpts, refusals, host: o.host };
  const started = await Promise.allSettled([
    startOtlpGrpcServer({ ...grpcOpts, port: o.ports.otlpGrpc }),
    startHttp(buildOtlpHttpHandler(handlerOpts), o.host, o.ports.otlpHttp),
    startHttp(buildZipkinHandler(handlerOpts), o.host, o.ports.zipkin),
    startJaegerGrpcServer({ ...grpcOpts, port: o.ports.jaegerGrpc }),
  ]);
  const closers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.close] : []));
  const close = async () => {
    await Promise.all(closers.map((c) => c().catch((err: unknown) => logger.warn({ err }, 'error while closing a receiver'))));
    refusals.close();
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await close();
    throw new TesseraError('CONFIG', `a receiver could not start: ${(failed.reason as Error).message}`, { cause: failed.reason });
  }
  const [otlpGrpc, otlpHttp, zipkin, jaegerGrpc] = started.map((s) => (s as PromiseFulfilledResult<{ port: number }>).value.port);
  const ports = { otlpGrpc, otlpHttp, zipkin, jaegerGrpc };
  logger.info({ ports, host: o.host, maxBodyBytes: o.maxBodyBytes }, 'receivers listening');
  return { ports, refusals: () => refusals.counts(), close };
}

interface RunningHttp {
  port: number;
  close(): Promise<void>;
}

function startHttp(handler: RequestHandler, host: string, port: number): Promise<RunningHttp> {
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ port: (server.address() as AddressInfo).port, close: () => closeHttp(server) });
    });
  });
}

/** Stops accepting, lets requests in flight finish for a moment, then cuts what is left. */
function closeHttp(server: Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
