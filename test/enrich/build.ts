// Small hand-built traces for the enricher tests: spans named by short labels, parents by label,
// then assembled and run through a chosen set of enrichers.

import { assembleTrace } from '../../src/trace/assemble.ts';
import type { Attributes, Span, SpanKind, StatusCode } from '../../src/model/span.ts';
import { createEnrichmentPipeline } from '../../src/enrich/pipeline.ts';
import type { Enricher } from '../../src/enrich/enricher.ts';
import type { EntityResolver } from '../../src/enrich/entity.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { compileEnrichmentOptions, defaultEnrichers } from '../../src/enrich/defaults.ts';
import type { EnrichmentOptions } from '../../src/enrich/defaults.ts';
import type { EnrichedTrace } from '../../src/enrich/types.ts';

export const TENANT = 'acme';
const T0 = 1_700_000_000_000_000;

export interface SpanSpec {
  id: string;
  parent?: string;
  service?: string;
  kind?: SpanKind;
  name?: string;
  attrs?: Attributes;
  /** Start offset in µs from the trace start (default: the spec's position, so order = start order). */
  at?: number;
  status?: StatusCode;
}

/** One trace of these spans; labels become span ids (a parent label not listed is a missing parent). */
export function buildSpans(specs: readonly SpanSpec[], tenant = TENANT): Span[] {
  const ids = new Map<string, string>();
  const idOf = (label: string): string => {
    let id = ids.get(label);
    if (id === undefined) {
      id = (ids.size + 1).toString(16).padStart(16, '0');
      ids.set(label, id);
    }
    return id;
  };
  for (const s of specs) idOf(s.id);
  return specs.map((s, k) => ({
    tenant,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: idOf(s.id),
    parentSpanId: s.parent === undefined ? '' : idOf(s.parent),
    name: s.name ?? s.id,
    kind: s.kind ?? 'INTERNAL',
    serviceName: s.service ?? 'svc',
    startUs: T0 + (s.at ?? k * 10),
    endUs: T0 + (s.at ?? k * 10) + 5,
    statusCode: s.status ?? 0,
    statusMessage: '',
    attributes: s.attrs ?? {},
    resource: {},
    events: [],
    links: [],
  }));
}

export interface Built {
  trace: EnrichedTrace;
  /** Index in the enriched trace of the span with this label. */
  at(label: string): number;
  /** Labels of the spans at these indexes. */
  labels(indexes: Iterable<number>): string[];
  resolver: EntityResolver;
}

/** Assembles the specs and runs `enrichers` (default: every default enricher) over them. */
export async function enrich(
  specs: readonly SpanSpec[],
  opts: { enrichers?: Enricher[]; resolver?: EntityResolver; options?: EnrichmentOptions; tenant?: string } = {},
): Promise<Built> {
  const spans = buildSpans(specs, opts.tenant);
  const resolver = opts.resolver ?? new MemoryEntityResolver();
  const enrichers = opts.enrichers ?? defaultEnrichers(compileEnrichmentOptions(opts.options));
  const pipeline = createEnrichmentPipeline({ enrichers, resolver });
  const trace = await pipeline.enrich(assembleTrace(spans));
  const labelOf = new Map(spans.map((s, k) => [s.spanId, specs[k].id]));
  const index = new Map(trace.spans.map((s, i) => [labelOf.get(s.spanId)!, i]));
  return {
    trace,
    resolver,
    at(label) {
      const i = index.get(label);
      if (i === undefined) throw new Error(`no span labelled ${label}`);
      return i;
    },
    labels(indexes) {
      return [...indexes].map((i) => labelOf.get(trace.spans[i].spanId)!);
    },
  };
}
