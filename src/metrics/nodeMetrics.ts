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

/**
 * One read shared by the several gauges derived from it within a scrape (a registry collects
 * its metrics concurrently): a call within `maxAgeMs` of the last one gets the same promise.
 */
function sharedRead<T>(read: () => Promise<T | undefined>, maxAgeMs = 250): () => Promise<T | undefined> {
  let last: { at: number; value: Promise<T | undefined> } | undefined;
  return () => {
    const now = performance.now();
    if (!last || now - last.at > maxAgeMs) last = { at: now, value: read() };
    return last.value;
  };
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
    if (o.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'tessera_' });
    const self = this;

    new Gauge({
      name: 'tessera_owned_partitions', help: 'Span-log partitions this node processes', registers,
      collect() { this.set(self.sources.ownedPartitions?.().length ?? 0); },
    });
    this.leaseEvents = new Counter({ name: 'tessera_lease_events_total', help: 'Partition lease events: acquired, released, lost, renewed, renew_failed', labelNames: ['event'], registers });
    this.fencedRefusals = new Counter({ name: 'tessera_fenced_refusals_total', help: 'Reads, writes and acks refused because the partition lease is no longer valid', labelNames: ['path'], registers });

    const stats = sharedRead(() => settle(self.sources.partitionStats));
    const fromStats = (name: string, help: string, sum: (s: PartitionStats[]) => number) => new Gauge({
      name, help, registers,
      async collect() {
        const all = await stats();
        if (all) this.set(sum(all));
      },
    });
    fromStats('tessera_partition_actors', 'Partition actors running', (all) => all.length);
    fromStats('tessera_open_traces', 'Traces open in partition actors', (all) => all.reduce((n, s) => n + s.openTraces, 0));
    fromStats('tessera_open_spans', 'Spans in open traces', (all) => all.reduce((n, s) => n + s.openSpans, 0));
    fromStats('tessera_unacked_entries', 'Span-log entries held by partition actors, not yet acknowledged', (all) => all.reduce((n, s) => n + s.unackedEntries, 0));
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
    const refused: { requests?: Counter<'receiver' | 'code'>; spans?: Counter } = {};
    // Both counters catch up from the receivers' running totals, whichever is collected first.
    const catchUp = () => {
      const counts = self.sources.refusals?.();
      if (!counts) return;
      for (const [key, total] of Object.entries(counts.requests)) {
        const cut = key.lastIndexOf(':');
        const delta = total - (seen.get(key) ?? 0);
        if (delta > 0) refused.requests?.inc({ receiver: key.slice(0, cut), code: key.slice(cut + 1) }, delta);
        seen.set(key, total);
      }
      if (counts.spans > seenSpans) refused.spans?.inc(counts.spans - seenSpans);
      seenSpans = Math.max(seenSpans, counts.spans);
    };
    refused.requests = new Counter({
      name: 'tessera_receiver_refused_requests_total', help: 'Requests refused by receivers, by receiver and error code', labelNames: ['receiver', 'code'], registers, collect: catchUp,
    });
    refused.spans = new Counter({ name: 'tessera_receiver_refused_spans_total', help: 'Spans in refused requests', registers, collect: catchUp });

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
    const lags = sharedRead(() => settle(() => self.sources.partitionLag?.(self.sources.ownedPartitions?.() ?? []) ?? Promise.resolve(undefined)));
    const perPartition = (name: string, help: string, value: (l: PartitionLag) => number | null) => new Gauge({
      name, help, labelNames: ['partition'], registers,
      async collect() {
        const all = await lags();
        if (!all) return;
        this.reset();
        for (const l of all) {
          const v = value(l);
          if (v !== null) this.set({ partition: String(l.partition) }, v);
        }
      },
    });
    perPartition('tessera_partition_stream_length', 'Entries in the partition stream, per owned partition', (l) => l.length);
    perPartition('tessera_partition_pending_entries', 'Entries delivered and not acknowledged, per owned partition', (l) => l.pending);
    perPartition('tessera_partition_undelivered_entries', 'Entries not yet read, per owned partition', (l) => l.undelivered);
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
