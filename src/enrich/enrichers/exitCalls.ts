// ExitCallsEnricher: how many calls each API node makes — its backend calls (exits with no
// outgoing edge) plus its outgoing API-node edges — and to whom, by callee service or backend
// name. Proxy (entry → entry) edges count too.

import type { Enricher } from '../enricher.ts';
import type { ApiNode } from '../types.ts';

export const UNKNOWN_SERVICE = 'unknown-service';
export const UNKNOWN_BACKEND = 'unknown-backend';

function countCall(node: ApiNode, callee: string): void {
  node.exitCalls++;
  node.calleeNameCount[callee] = (node.calleeNameCount[callee] ?? 0) + 1;
}

export const exitCallsEnricher: Enricher = {
  name: 'ExitCalls',
  dependsOn: ['ServiceEntity', 'ApiTrace', 'BackendEntity'],
  enrich({ trace }) {
    const { serviceName, backend } = trace.enriched;
    const nodes = trace.apiNodes;
    for (const edge of trace.apiEdges) countCall(nodes[edge.fromNode], serviceName[edge.toSpan] || UNKNOWN_SERVICE);
    for (const exit of trace.exitsWithoutOutgoing) {
      const node = trace.enriched.apiNode[exit];
      if (node !== -1) countCall(nodes[node], backend[exit]?.name || UNKNOWN_BACKEND);
    }
    let total = 0;
    for (const node of trace.apiNodes) total += node.exitCalls;
    trace.summary.apiExitCalls = total;
  },
};
