// Runs enrichers over an assembled trace in dependency order. One that throws is logged through
// pino (at most one line per enricher per interval, with the count in between), counted, and the
// others still run; its columns keep their defaults.

import { pino } from 'pino';
import type { Logger } from 'pino';
import { TesseraError } from '../errors.ts';
import type { AssembledTrace } from '../model/trace.ts';
import type { Entity, EntityResolver } from './entity.ts';
import type { Enricher, EnrichmentContext, MaybePromise } from './enricher.ts';
import type { EnrichedTrace, SpanColumns } from './types.ts';

export interface EnrichmentPipelineDeps {
  enrichers: readonly Enricher[];
  resolver: EntityResolver;
  logger?: Logger;
  /** Minimum time between two log lines about the same failing enricher. */
  failureLogIntervalMs?: number;
}

export interface EnrichmentStats {
  traces: number;
  spans: number;
  /** Failures per enricher name since start. */
  failures: Record<string, number>;
}

export interface EnrichmentPipeline {
  /** The enricher names in the order they run. */
  readonly order: readonly string[];
  enrich(trace: AssembledTrace): Promise<EnrichedTrace>;
  /**
   * The same enrichment, answered without a promise when no enricher had to wait (an in-memory
   * or warm resolver), so the caller can turn the trace into rows while its columns are still
   * young garbage rather than after a whole batch was enriched. Errors as from `enrich`, thrown.
   */
  enrichNow(trace: AssembledTrace): MaybePromise<EnrichedTrace>;
  stats(): EnrichmentStats;
}

export function createEnrichmentPipeline(deps: EnrichmentPipelineDeps): EnrichmentPipeline {
  const ordered = dependencyOrder(deps.enrichers);
  const logger = deps.logger ?? pino({ level: 'silent' });
  const intervalMs = deps.failureLogIntervalMs ?? 10_000;
  const failures: Record<string, number> = {};
  const lastLogged = new Map<string, { at: number; count: number }>();
  let traces = 0;
  let spans = 0;

  const fail = (enricher: Enricher, trace: EnrichedTrace, err: unknown): void => {
    trace.failures.push(enricher.name);
    failures[enricher.name] = (failures[enricher.name] ?? 0) + 1;
    const now = Date.now();
    const last = lastLogged.get(enricher.name);
    if (last !== undefined && now - last.at < intervalMs) {
      last.count++;
      return;
    }
    lastLogged.set(enricher.name, { at: now, count: 0 });
    logger.warn(
      { err, enricher: enricher.name, tenant: trace.tenant, traceId: trace.traceId, suppressed: last?.count ?? 0 },
      'enricher failed; the others still ran',
    );
  };

  /** Runs the enrichers from `from` on; synchronous until one returns a promise. */
  const runFrom = (ctx: EnrichmentContext, from: number): MaybePromise<EnrichedTrace> => {
    const { trace } = ctx;
    for (let k = from; k < ordered.length; k++) {
      const enricher = ordered[k];
      let pending: void | Promise<void>;
      try {
        pending = enricher.enrich(ctx);
      } catch (err) {
        fail(enricher, trace, err);
        continue;
      }
      if (pending !== undefined) {
        return Promise.resolve(pending).then(
          () => runFrom(ctx, k + 1),
          (err: unknown) => {
            fail(enricher, trace, err);
            return runFrom(ctx, k + 1);
          },
        );
      }
    }
    traces++;
    spans += trace.spans.length;
    return trace;
  };

  const enrichNow = (assembled: AssembledTrace): MaybePromise<EnrichedTrace> => {
    const trace = emptyEnrichment(assembled);
    const seen = new Set<string>();
    const ctx: EnrichmentContext = {
      trace,
      resolver: deps.resolver,
      addEntity(entity: Entity) {
        if (seen.has(entity.id)) return;
        seen.add(entity.id);
        trace.entities.push(entity);
      },
    };
    return runFrom(ctx, 0);
  };

  return {
    order: ordered.map((e) => e.name),
    enrich: async (assembled) => enrichNow(assembled),
    enrichNow,
    stats: () => ({ traces, spans, failures: { ...failures } }),
  };
}

/**
 * Topological order that keeps the given order wherever dependencies allow. A missing
 * dependency or a cycle is a configuration error found at start-up.
 */
export function dependencyOrder(enrichers: readonly Enricher[]): Enricher[] {
  const byName = new Map<string, Enricher>();
  for (const e of enrichers) {
    if (byName.has(e.name)) throw new TesseraError('CONFIG', `enricher "${e.name}" is listed twice`);
    byName.set(e.name, e);
  }
  for (const e of enrichers) {
    for (const d of e.dependsOn) {
      if (!byName.has(d)) throw new TesseraError('CONFIG', `enricher "${e.name}" depends on "${d}", which is not configured`);
    }
  }
  const done = new Set<string>();
  const out: Enricher[] = [];
  while (out.length < enrichers.length) {
    const next = enrichers.find((e) => !done.has(e.name) && e.dependsOn.every((d) => done.has(d)));
    if (next === undefined) {
      const stuck = enrichers.filter((e) => !done.has(e.name)).map((e) => e.name);
      throw new TesseraError('CONFIG', `enricher dependencies form a cycle among: ${stuck.join(', ')}`);
    }
    done.add(next.name);
    out.push(next);
  }
  return out;
}

function filled<T>(n: number, value: T): T[] {
  return new Array<T>(n).fill(value);
}

/** The trace with every column at its default: what an enricher that throws leaves behind. */
export function emptyEnrichment(trace: AssembledTrace): EnrichedTrace {
  const n = trace.spans.length;
  // The five numeric columns share one buffer: a typed array's own backing store costs far
  // more to allocate than the view on it (~1 µs a trace for five).
  const numbers = new ArrayBuffer(14 * n);
  new Int32Array(numbers, 0, 3 * n).fill(-1);
  const enriched: SpanColumns = {
    spanType: filled(n, 'UNKNOWN'),
    protocol: filled(n, 'UNKNOWN'),
    apiBoundary: filled(n, ''),
    apiNode: new Int32Array(numbers, 0, n),
    apiEntry: new Int32Array(numbers, 4 * n, n),
    calleeEntry: new Int32Array(numbers, 8 * n, n),
    serviceId: filled(n, ''),
    serviceName: filled(n, ''),
    apiId: filled(n, ''),
    apiName: filled(n, ''),
    apiNameSource: filled(n, ''),
    backend: filled(n, null),
    apiStatus: filled(n, ''),
    apiStatusCode: filled(n, ''),
    apiStatusMessage: filled(n, ''),
    errorCount: new Uint8Array(numbers, 12 * n, n),
    exceptionCount: new Uint8Array(numbers, 13 * n, n),
    httpHost: filled(n, ''),
    httpPath: filled(n, ''),
    queryParams: filled(n, null),
    userAgent: filled(n, null),
    grpcEndpoint: filled(n, ''),
    grpcUrl: filled(n, ''),
  };
  // Fields listed one by one: an object spread here cost ~20 µs per trace.
  return {
    tenant: trace.tenant,
    traceId: trace.traceId,
    spans: trace.spans,
    parent: trace.parent,
    children: trace.children,
    roots: trace.roots,
    partial: trace.partial,
    missingSpanIds: trace.missingSpanIds,
    startUs: trace.startUs,
    endUs: trace.endUs,
    revision: trace.revision,
    enriched,
    apiNodes: [],
    apiEdges: [],
    entriesWithoutIncoming: [],
    exitsWithoutOutgoing: [],
    summary: {
      transactionName: '',
      transactionHasError: false,
      spanCountWithErrors: 0,
      spanCountWithExceptions: 0,
      apiExitCalls: 0,
      uniqueApis: 0,
      headSpan: -1,
      services: [],
    },
    entities: [],
    failures: [],
  };
}
