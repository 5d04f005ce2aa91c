// OTLP/gRPC: a unary TraceService/Export over one HTTP/2 channel. The request is the same
// protobuf bytes the HTTP transport sends, so the client passes them through untouched.

import * as grpc from '@grpc/grpc-js';
import { ExportTraceServiceResponse } from '../../ingest/protos.ts';
import type { SendOutcome, Transport } from './api.ts';
import { parseRetryAfter } from './api.ts';

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** gRPC codes the OTLP specification lists as retryable. */
const RETRYABLE_GRPC: ReadonlySet<number> = new Set([
  grpc.status.CANCELLED, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.ABORTED,
  grpc.status.OUT_OF_RANGE, grpc.status.UNAVAILABLE, grpc.status.DATA_LOSS,
]);

export interface GrpcTransportOptions {
  /** `http://host:port`, `https://host:port` or `host:port`. */
  endpoint: string;
  tenant: string | null;
  timeoutMs: number;
  gzip: boolean;
}

export class GrpcTransport implements Transport {
  private readonly client: grpc.Client;
  private readonly metadata: grpc.Metadata;

  constructor(private readonly opts: GrpcTransportOptions) {
    const secure = opts.endpoint.startsWith('https://');
    const address = opts.endpoint.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const options: grpc.ChannelOptions = { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 };
    if (opts.gzip) options['grpc.default_compression_algorithm'] = 2;
    this.client = new grpc.Client(address, secure ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), options);
    this.metadata = new grpc.Metadata();
    if (opts.tenant !== null) this.metadata.set('x-tenant-id', opts.tenant);
  }

  send(body: Uint8Array | string): Promise<SendOutcome> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return new Promise<SendOutcome>((resolve) => {
      let trailers: grpc.Metadata | null = null;
      const call = this.client.makeUnaryRequest<Buffer, Buffer>(
        EXPORT_PATH, (b) => b, (b) => b, bytes, this.metadata.clone(),
        { deadline: Date.now() + this.opts.timeoutMs },
        (err, res) => {
          if (err === null || err === undefined) {
            resolve({ kind: 'ok', rejectedSpans: partialRejections(res) });
            return;
          }
          const code = grpc.status[err.code] ?? String(err.code);
          if (RETRYABLE_GRPC.has(err.code)) {
            const hint = err.metadata?.get('retry-after')[0] ?? trailers?.get('retry-after')[0];
            resolve({ kind: 'retryable', code, retryAfterMs: parseRetryAfter(hint === undefined ? undefined : String(hint)) });
          } else {
            resolve({ kind: 'rejected', code, message: err.details });
          }
        },
      );
      call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
    });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function partialRejections(res: Buffer | undefined): number {
  if (res === undefined || res.length === 0) return 0;
  try {
    const decoded = ExportTraceServiceResponse.decode(res) as { partialSuccess?: { rejectedSpans?: unknown } | null };
    return Number(String(decoded.partialSuccess?.rejectedSpans ?? 0)) || 0;
  } catch {
    return 0;
  }
}
