// A synchronous stand-in for buildRowsOf, kept while callers move over (tests and benches that
// build rows from spans without a pipeline): the default enrichers over a process-wide
// in-memory resolver, run in dependency order without awaiting. Nodes use buildRowsOf.
import { compileEnrichmentOptions, defaultEnrichers } from '../enrich/defaults.ts';
import type { Enricher, EnrichmentContext } from '../enrich/enricher.ts';
import type { Entity } from '../enrich/entity.ts';
import { MemoryEntityResolver } from '../enrich/memoryResolver.ts';
import { dependencyOrder, emptyEnrichment } from '../enrich/pipeline.ts';
import type { AssembledTrace } from '../model/trace.ts';
import type { TraceRows } from '../store/api.ts';
import { traceRowsOf } from './rows.ts';

let enrichers: Enricher[] | undefined;
const resolver = new MemoryEntityResolver();

/**
 * @deprecated Use `buildRowsOf(pipeline)` (or `traceRowsOf(await pipeline.enrich(trace))`).
 * Rows of an assembled trace, enriched synchronously; an enricher that throws keeps its
 * defaults, as in the pipeline.
 */
export function traceRows(trace: AssembledTrace): TraceRows {
  enrichers ??= dependencyOrder(defaultEnrichers(compileEnrichmentOptions()));
  const enriched = emptyEnrichment(trace);
  const seen = new Set<string>();
  const ctx: EnrichmentContext = {
    trace: enriched,
    resolver,
    addEntity(entity: Entity) {
      if (seen.has(entity.id)) return;
      seen.add(entity.id);
      enriched.entities.push(entity);
    },
  };
  for (const enricher of enrichers) {
    try {
      const pending = enricher.enrich(ctx);
      if (pending !== undefined) {
        pending.catch(() => undefined); // its outcome is not waited for: never an unhandled rejection
        throw new Error(`enricher ${enricher.name} did not finish synchronously`);
      }
    } catch {
      enriched.failures.push(enricher.name);
    }
  }
  return traceRowsOf(enriched);
}
