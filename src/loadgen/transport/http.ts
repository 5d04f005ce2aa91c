// OTLP/HTTP (protobuf or JSON) and Zipkin v2 over node:http(s) with a keep-alive agent sized
// to the request concurrency. Reads OTLP partial-success answers to count rejected spans.

import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { ExportTraceServiceResponse } from '../../ingest/protos.ts';
import { type SendOutcome, type Transport, parseRetryAfter, RETRYABLE_HTTP, RETRYABLE_NET } from './api.ts';

const gzipAsync = promisify(gzip);

export interface HttpTransportOptions {
  url: URL;
  contentType: 'application/x-protobuf' | 'application/json';
  /** Parse the body of a 2xx answer as an OTLP response (OTLP protocols only). */
  otlpResponse: 'proto' | 'json' | null;
  tenant: string | null;
  concurrency: number;
  timeoutMs: number;
  gzip: boolean;
}

export class HttpTransport implements Transport {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly headers: Record<string, string>;

  constructor(private readonly opts: HttpTransportOptions) {
    const secure = opts.url.protocol === 'https:';
    const agentOpts = { keepAlive: true, maxSockets: opts.concurrency, maxFreeSockets: opts.concurrency };
    this.agent = secure ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
    this.request = secure ? https.request : http.request;
    this.headers = { 'content-type': opts.contentType };
    if (opts.tenant !== null) this.headers['x-tenant-id'] = opts.tenant;
    if (opts.gzip) this.headers['content-encoding'] = 'gzip';
  }

  async send(body: Uint8Array | string): Promise<SendOutcome> {
    const payload = this.opts.gzip ? await gzipAsync(body) : typeof body === 'string' ? Buffer.from(body) : body;
    return new Promise<SendOutcome>((resolve) => {
      const req = this.request(this.opts.url, {
        method: 'POST', agent: this.agent, timeout: this.opts.timeoutMs,
        headers: { ...this.headers, 'content-length': String(payload.byteLength) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => resolve(netOutcome(err)));
        res.on('end', () => resolve(this.outcome(res, Buffer.concat(chunks))));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => resolve(netOutcome(err)));
      req.end(payload);
    });
  }

  private outcome(res: http.IncomingMessage, body: Buffer): SendOutcome {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return { kind: 'ok', rejectedSpans: this.partialRejections(body) };
    const code = String(status);
    if (RETRYABLE_HTTP.has(status)) {
      const header = res.headers['retry-after'];
      return { kind: 'retryable', code, retryAfterMs: parseRetryAfter(Array.isArray(header) ? header[0] : header) };
    }
    return { kind: 'rejected', code, message: body.toString('utf8', 0, Math.min(body.length, 500)) };
  }

  private partialRejections(body: Buffer): number {
    if (body.length === 0 || this.opts.otlpResponse === null) return 0;
    try {
      if (this.opts.otlpResponse === 'json') {
        const parsed = JSON.parse(body.toString('utf8')) as { partialSuccess?: { rejectedSpans?: string | number } };
        return Number(parsed.partialSuccess?.rejectedSpans ?? 0) || 0;
      }
      const res = ExportTraceServiceResponse.decode(body) as { partialSuccess?: { rejectedSpans?: unknown } | null };
      return Number(String(res.partialSuccess?.rejectedSpans ?? 0)) || 0;
    } catch {
      return 0;
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

export function netOutcome(err: unknown): SendOutcome {
  const code = String((err as { code?: unknown }).code ?? 'ENET');
  if (RETRYABLE_NET.has(code)) return { kind: 'retryable', code, retryAfterMs: null };
  return { kind: 'rejected', code, message: err instanceof Error ? err.message : String(err) };
}
