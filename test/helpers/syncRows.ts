// Rows of a trace built synchronously, for tests that need view rows without a pipeline (the
// live tests build written traces inline): the default enrichers over a process-wide in-memory
// resolver, run in dependency order without awaiting. test/views/rows.test.ts checks that it
// gives what buildRowsOf gives. Nodes use buildRowsOf.
import { compileEnrichmentOptions, defaultEnrichers } from '../../src/enrich/defaults.ts';
import type { Enricher, EnrichmentContext } from '../../src/enrich/enricher.ts';
import type { Entity } from '../../src/enrich/entity.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { dependencyOrder, emptyEnrichment } from '../../src/enrich/pipeline.ts';
import type { AssembledTrace } from '../../src/model/trace.ts';
import type { TraceRows } from '../../src/store/api.ts';
import { traceRowsOf } from '../../src/views/rows.ts';

let enrichers: Enricher[] | undefined;
const resolver = new MemoryEntityResolver();

/**
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
