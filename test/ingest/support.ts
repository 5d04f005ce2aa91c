// Shared by the receiver tests: a sink that collects (or refuses) spans, a logger that keeps its
// lines, and receivers started on free loopback ports and closed by the test's teardown.

import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { TesseraError } from '../../src/errors.ts';
import type { Span } from '../../src/model/span.ts';
import { startReceivers, type RunningReceivers } from '../../src/ingest/receivers.ts';
import type { IngestSink } from '../../src/ingest/sink.ts';

/** Collects accepted spans; refuses every batch with `refuseWith` while it is set. */
export class CollectingSink implements IngestSink {
  readonly spans: Span[] = [];
  batches = 0;
  refuseWith: TesseraError | undefined;
  /** What `refusal()` answers: receivers ask it before decoding a request. */
  refuseEarly: TesseraError | undefined;

  refusal(): TesseraError | undefined {
    return this.refuseEarly;
  }

  async accept(spans: Span[]): Promise<void> {
    if (this.refuseWith) throw this.refuseWith;
    this.batches++;
    this.spans.push(...spans);
  }

  byId(spanId: string): Span | undefined {
    return this.spans.find((s) => s.spanId === spanId);
  }
}

/** A pino logger whose JSON lines are kept in `lines`. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Starts the four receivers on free loopback ports; the test's teardown closes them. */
export async function startTestReceivers(
  t: Teardown,
  opts: { sink?: CollectingSink; maxBodyBytes?: number; defaultTenant?: string } = {},
): Promise<{ receivers: RunningReceivers; sink: CollectingSink; lines: Array<Record<string, unknown>> }> {
  const sink = opts.sink ?? new CollectingSink();
  const { logger, lines } = capturingLogger();
  const receivers = await startReceivers({
    sink,
    defaultTenant: opts.defaultTenant ?? 'default-tenant',
    maxBodyBytes: opts.maxBodyBytes ?? 4 * 1024 * 1024,
    host: '127.0.0.1',
    ports: { otlpGrpc: 0, otlpHttp: 0, zipkin: 0, jaegerGrpc: 0 },
    logger,
  });
  t.teardown(() => receivers.close());
  return { receivers, sink, lines };
}

export const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
