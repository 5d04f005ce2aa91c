// TraceStatsEnricher: the head span of the first API node and the number of distinct APIs
// entered in the trace.

import type { Enricher } from '../enricher.ts';

export const traceStatsEnricher: Enricher = {
  name: 'TraceStats',
  dependsOn: ['ApiEntity'],
  enrich({ trace }) {
    trace.summary.headSpan = trace.apiNodes.length > 0 ? trace.apiNodes[0].head : -1;
    const apis = new Set<string>();
    for (const node of trace.apiNodes) {
      if (node.entry !== -1 && trace.enriched.apiId[node.entry] !== '') apis.add(trace.enriched.apiId[node.entry]);
    }
    trace.summary.uniqueApis = apis.size;
  },
};
