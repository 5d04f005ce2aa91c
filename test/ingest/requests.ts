// Request builders for the receiver tests: OTLP requests in both encodings from one compact
// description, a raw HTTP POST that tolerates the server closing early, and raw gRPC calls.

import { request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { ExportTraceServiceRequest } from '../../src/ingest/protos.ts';
import { hex } from './support.ts';

export interface TestSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startUs?: number;
  durUs?: number;
  attributes?: Record<string, string | number | boolean>;
}

const anyValue = (v: string | number | boolean) =>
  typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };

/** An OTLP/JSON ExportTraceServiceRequest with one resource (`service`) and one scope. */
export function otlpJsonRequest(service: string, spans: TestSpan[]): Record<string, unknown> {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{
        scope: { name: 'tests', version: '0.1' },
        spans: spans.map((s, i) => {
          const startUs = s.startUs ?? 1_700_000_000_000_000 + i;
          return {
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: 2,
            startTimeUnixNano: `${startUs}000`,
            endTimeUnixNano: `${startUs + (s.durUs ?? 1000)}000`,
            attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({ key, value: anyValue(v) })),
          };
        }),
      }],
    }],
  };
}

/** The same request encoded as OTLP protobuf (ids as bytes; they must be valid hex). */
export function otlpProtoRequest(service: string, spans: TestSpan[]): Uint8Array {
  const json = otlpJsonRequest(service, spans) as any;
  for (const rs of json.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        s.traceId = Buffer.from(s.traceId, 'hex');
        s.spanId = Buffer.from(s.spanId, 'hex');
        s.parentSpanId = Buffer.from(s.parentSpanId, 'hex');
      }
    }
  }
  return ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(json)).finish();
}

/** `n` spans of one trace: a root and its children. */
export function spansOf(traceNo: number, n: number): TestSpan[] {
  const traceId = hex(traceNo, 32);
  return Array.from({ length: n }, (_, i) => ({
    traceId,
    spanId: hex(traceNo * 1000 + i + 1, 16),
    parentSpanId: i === 0 ? '' : hex(traceNo * 1000 + 1, 16),
    name: `op-${i}`,
  }));
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * POSTs a body with node:http and resolves with the answer even when the server answers and
 * closes before the whole body was sent (the 413 case).
 */
export function post(url: string, body: Uint8Array | string, headers: Record<string, string | number> = {}, chunked = false): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let writeError: Error | undefined;
    const req = request(url, { method: 'POST', headers: chunked ? headers : { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // Writing may fail once the server has answered and closed; the answer is what counts.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') writeError = err;
      else reject(err);
    });
    req.on('close', () => {
      if (!answered) reject(writeError ?? new Error('the connection closed without an answer'));
    });
    if (chunked) {
      const buf = Buffer.from(body);
      const step = 16 * 1024;
      for (let i = 0; i < buf.length; i += step) req.write(buf.subarray(i, i + step));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** A unary gRPC call with raw request bytes; resolves with the status code and the reply bytes. */
export function grpcCall(port: number, path: string, body: Uint8Array, metadata = new grpc.Metadata()): Promise<{ code: number; details: string; reply?: Buffer; metadata?: grpc.Metadata }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, body, metadata, (err, reply) => {
      client.close();
      if (err) resolve({ code: err.code, details: err.details, metadata: err.metadata });
      else resolve({ code: 0, details: '', reply });
    });
  });
}

export const OTLP_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
export const JAEGER_POST_SPANS_PATH = '/jaeger.api_v2.CollectorService/PostSpans';
