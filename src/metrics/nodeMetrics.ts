// A node's Prometheus metrics (prom-client, one registry per node so several nodes can live in
// one test process). Counters are fed by hooks the node wires in (ownership events, the
// ViewWriter's flush reports, the coordinator's reads, the ingest sink); gauges are read from
// their sources at scrape time. docs/operations.md lists every metric and what to watch.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PartitionStats } from '../actors/partitionActor.ts';
import type { FlushReport } from '../actors/viewWriter.ts';
import type { RefusalCounts } from '../ingest/refusals.ts';
import type { FencedPath } from '../sharding/ownership.ts';
import type { LeaseEvent, OwnershipEvents } from '../sharding/leasedOwnership.ts';
import type { PartitionLag } from '../sharding/redis/lag.ts';

/** Where scrape-time values come from; every one is optional. */
export interface MetricSources {
  ownedPartitions?: () => readonly number[];
  partitionStats?: () => Promise<PartitionStats[]>;
  inFlightSpans?: () => number;
  backlogSpans?: () => Promise<number>;
  refusals?: () => RefusalCounts;
  partitionLag?: (partitions: readonly number[]) => Promise<PartitionLag[]>;
}

export interface NodeMetricsOptions {
  nodeId: string;
  /** Process metrics (CPU, memory, event-loop lag) too. Default true. */
  processMetrics?: boolean;
}

/** A scrape-time read that may fail (Redis away): the gauge keeps its last value. */
async function settle<T>(read: (() => Promise<T> | T) | undefined): Promise<T | undefined> {
  if (!read) return undefined;
  try {
    return await read();
  } catch {
    return undefined;
  }
}

export class NodeMetrics implements OwnershipEvents {
  readonly registry = new Registry();
  private sources: MetricSources = {};
  private readonly leaseEvents: Counter<'event'>;
  private readonly fencedRefusals: Counter<'path'>;
  private readonly spansAccepted_: Counter;
  private readonly entriesRead: Counter;
  private readonly spansRead: Counter;
  private readonly readLag: Gauge;
  private readonly tracesWritten: Counter;
  private readonly spansWritten: Counter;
  private readonly writeFailures: Counter;
  private readonly writeSeconds: Histogram;

  constructor(o: NodeMetricsOptions) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: o.nodeId });
    if (o.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'tessera_process_' });
    const self = this;

    new Gauge({
      name: 'tessera_owned_partitions', help: 'Span-log partitions this node processes', registers,
      collect() { this.set(self.sources.ownedPartitions?.().length ?? 0); },
    });
    this.leaseEvents = new Counter({ name: 'tessera_lease_events_total', help: 'Partition lease events: acquired, released, lost, renewed, renew_failed', labelNames: ['event'], registers });
    this.fencedRefusals = new Counter({ name: 'tessera_fenced_refusals_total', help: 'Reads, writes and acks refused because the partition lease is no longer valid', labelNames: ['path'], registers });

    // A collecting metric sets the ones derived from the same read: it is registered first,
    // since a registry serializes its metrics in registration order.
    const open: { traces?: Gauge; spans?: Gauge; unacked?: Gauge } = {};
    new Gauge({
      name: 'tessera_partition_actors', help: 'Partition actors running', registers,
      async collect() {
        const stats = await settle(self.sources.partitionStats);
        if (!stats) return;
        this.set(stats.length);
        open.traces?.set(stats.reduce((n, s) => n + s.openTraces, 0));
        open.spans?.set(stats.reduce((n, s) => n + s.openSpans, 0));
        open.unacked?.set(stats.reduce((n, s) => n + s.unackedEntries, 0));
      },
    });
    open.traces = new Gauge({ name: 'tessera_open_traces', help: 'Traces open in partition actors', registers });
    open.spans = new Gauge({ name: 'tessera_open_spans', help: 'Spans in open traces', registers });
    open.unacked = new Gauge({ name: 'tessera_unacked_entries', help: 'Span-log entries held by partition actors, not yet acknowledged', registers });
    new Gauge({
      name: 'tessera_inflight_spans', help: 'Spans read from the span log and not yet written (bounded by --max-inflight-spans)', registers,
      collect() { this.set(self.sources.inFlightSpans?.() ?? 0); },
    });
    new Gauge({
      name: 'tessera_spanlog_backlog_spans', help: 'Spans appended to the span log and not yet acknowledged, all partitions', registers,
      async collect() {
        const n = await settle(self.sources.backlogSpans);
        if (n !== undefined) this.set(n);
      },
    });
    this.partitionLagGauges(registers);

    this.spansAccepted_ = new Counter({ name: 'tessera_spans_accepted_total', help: 'Spans acknowledged to clients by this node\'s receivers', registers });
    const seen = new Map<string, number>();
    let seenSpans = 0;
    const refused: { spans?: Counter } = {};
    new Counter({
      name: 'tessera_receiver_refused_requests_total', help: 'Requests refused by receivers, by receiver and error code', labelNames: ['receiver', 'code'], registers,
      collect() {
        const counts = self.sources.refusals?.();
        if (!counts) return;
        for (const [key, total] of Object.entries(counts.requests)) {
          const cut = key.lastIndexOf(':');
          const delta = total - (seen.get(key) ?? 0);
          if (delta > 0) this.inc({ receiver: key.slice(0, cut), code: key.slice(cut + 1) }, delta);
          seen.set(key, total);
        }
        if (counts.spans > seenSpans) refused.spans?.inc(counts.spans - seenSpans);
        seenSpans = counts.spans;
      },
    });
    refused.spans = new Counter({ name: 'tessera_receiver_refused_spans_total', help: 'Spans in refused requests', registers });

    this.entriesRead = new Counter({ name: 'tessera_spanlog_entries_read_total', help: 'Span-log entries read by this node', registers });
    this.spansRead = new Counter({ name: 'tessera_spans_read_total', help: 'Spans read from the span log by this node', registers });
    this.readLag = new Gauge({ name: 'tessera_read_lag_seconds', help: 'Age of the oldest entry in the latest span-log read (Redis)', registers });
    this.tracesWritten = new Counter({ name: 'tessera_traces_written_total', help: 'Traces written to the view store (re-writes of late spans included)', registers });
    this.spansWritten = new Counter({ name: 'tessera_spans_written_total', help: 'Spans in traces written to the view store', registers });
    this.writeFailures = new Counter({ name: 'tessera_view_write_failures_total', help: 'View-store writes that failed and will be retried', registers });
    this.writeSeconds = new Histogram({
      name: 'tessera_view_write_seconds', help: 'View-store write latency per batch', registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  private partitionLagGauges(registers: Registry[]): void {
    const self = this;
    const derived: { pending?: Gauge<'partition'>; undelivered?: Gauge<'partition'> } = {};
    new Gauge({
      name: 'tessera_partition_stream_length', help: 'Entries in the partition stream, per owned partition', labelNames: ['partition'], registers,
      async collect() {
        const owned = self.sources.ownedPartitions?.() ?? [];
        const lags = await settle(() => self.sources.partitionLag?.(owned) ?? Promise.resolve(undefined));
        if (!lags) return;
        this.reset();
        derived.pending?.reset();
        derived.undelivered?.reset();
        for (const l of lags) {
          const labels = { partition: String(l.partition) };
          this.set(labels, l.length);
          derived.pending?.set(labels, l.pending);
          if (l.undelivered !== null) derived.undelivered?.set(labels, l.undelivered);
        }
      },
    });
    derived.pending = new Gauge({ name: 'tessera_partition_pending_entries', help: 'Entries delivered and not acknowledged, per owned partition', labelNames: ['partition'], registers });
    derived.undelivered = new Gauge({ name: 'tessera_partition_undelivered_entries', help: 'Entries not yet read, per owned partition', labelNames: ['partition'], registers });
  }

  /** Adds or replaces scrape-time sources (the node wires them as its parts start). */
  setSources(s: MetricSources): void {
    this.sources = { ...this.sources, ...s };
  }

  lease(event: LeaseEvent, count: number): void {
    this.leaseEvents.inc({ event }, count);
  }

  fenced(path: FencedPath): void {
    this.fencedRefusals.inc({ path });
  }

  spansAccepted(n: number): void {
    this.spansAccepted_.inc(n);
  }

  /** The coordinator's onRead hook. */
  read(entries: number, spans: number, lagMs: number | undefined): void {
    this.entriesRead.inc(entries);
    this.spansRead.inc(spans);
    if (lagMs !== undefined) this.readLag.set(lagMs / 1000);
  }

  /** The ViewWriter's onFlush hook. */
  flush(r: FlushReport): void {
    this.writeSeconds.observe(r.ms / 1000);
    if (r.ok) {
      this.tracesWritten.inc(r.traces);
      this.spansWritten.inc(r.spans);
    } else this.writeFailures.inc();
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
