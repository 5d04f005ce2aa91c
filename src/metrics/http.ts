// The /metrics handler (Prometheus text format) and the ingest sink that counts what it accepts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IngestSink } from '../ingest/sink.ts';
import type { NodeMetrics } from './nodeMetrics.ts';

export function metricsHandler(metrics: NodeMetrics): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'INVALID_ARGUMENT', message: `${req.method} /metrics: use GET` } }));
      return;
    }
    metrics.text().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'INTERNAL', message: `collecting metrics failed: ${(err as Error).message}` } }));
      },
    );
  };
}

/** Counts the spans a sink accepted (acknowledged to the client). */
export function countingSink(sink: IngestSink, metrics: Pick<NodeMetrics, 'spansAccepted'>): IngestSink {
  return {
    async accept(spans) {
      await sink.accept(spans);
      metrics.spansAccepted(spans.length);
    },
    refusal: sink.refusal?.bind(sink),
  };
}
