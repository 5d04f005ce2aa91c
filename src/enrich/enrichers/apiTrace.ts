// API traces (Hypertrace's ApiTraceGraph): API nodes and the edges between them.
// A node starts at each API-entry span and takes its descendants breadth-first, keeping an
// API-exit child without descending into it and leaving an API-entry child to its own node.
// Beyond Hypertrace, every span ends up in exactly one node: a root that is not an API entry
// (an exit or an internal span: client-only callers, broken traces) heads a node without an entry
// span, and a span left under an exit (a non-entry child of an exit that also calls an entry)
// joins its parent's node.

import type { Enricher } from '../enricher.ts';
import type { ApiNode, ApiNodeEdge, EnrichedTrace } from '../types.ts';

// Module-level helpers rather than closures: this runs for every trace.

function addToNode(trace: EnrichedTrace, index: number, i: number): void {
  const node = trace.apiNodes[index];
  trace.enriched.apiNode[i] = index;
  trace.enriched.apiEntry[i] = node.entry;
  node.spans.push(i);
  if (trace.enriched.apiBoundary[i] === 'EXIT') node.exits.push(i);
}

// Scratch lists reused trace after trace (enrichment is synchronous): a node's lists are copied
// out at their exact length. An array grown by push starts at 17 slots, most nodes hold one to
// three spans, and the rows of a whole batch keep the nodes alive through several scavenges.
const nodeSpans: number[] = [];
const nodeExits: number[] = [];
const queue: number[] = [];
const MAX_SCRATCH = 1 << 16;

function growNode(trace: EnrichedTrace, head: number, isEntry: boolean): void {
  const index = trace.apiNodes.length;
  const entry = isEntry ? head : -1;
  const { children } = trace;
  const { apiBoundary, apiNode, apiEntry } = trace.enriched;
  let spans = 0;
  let exits = 0;
  let queued = 0;
  apiNode[head] = index;
  apiEntry[head] = entry;
  nodeSpans[spans++] = head;
  if (apiBoundary[head] === 'EXIT') nodeExits[exits++] = head;
  queue[queued++] = head;
  for (let q = 0; q < queued; q++) {
    const kids = children[queue[q]];
    for (let k = 0; k < kids.length; k++) {
      const c = kids[k];
      if (apiBoundary[c] === 'ENTRY') continue;
      apiNode[c] = index;
      apiEntry[c] = entry;
      nodeSpans[spans++] = c;
      if (apiBoundary[c] === 'EXIT') nodeExits[exits++] = c;
      else queue[queued++] = c;
    }
  }
  trace.apiNodes.push({
    head, entry, spans: nodeSpans.slice(0, spans), exits: nodeExits.slice(0, exits), exitCalls: 0, calleeNameCount: {}, errorSpanCount: 0,
  });
}

function addEdge(trace: EnrichedTrace, kind: ApiNodeEdge['kind'], from: number, to: number, incoming: Uint8Array, outgoing: Uint8Array): void {
  const { apiNode } = trace.enriched;
  trace.apiEdges.push({ kind, fromSpan: from, toSpan: to, fromNode: apiNode[from], toNode: apiNode[to] });
  outgoing[from] = 1;
  incoming[to] = 1;
  if (kind === 'EXIT_ENTRY') markCallee(trace, from, to);
}

/** The exit span and the exit spans above it, up to the caller's entry, call `entry`. */
function markCallee(trace: EnrichedTrace, exit: number, entry: number): void {
  const { spanType, calleeEntry } = trace.enriched;
  if (calleeEntry[exit] === -1) calleeEntry[exit] = entry;
  for (let p = trace.parent[exit]; p !== -1 && spanType[p] !== 'ENTRY'; p = trace.parent[p]) {
    if (spanType[p] === 'EXIT' && calleeEntry[p] === -1) calleeEntry[p] = entry;
  }
}

/** Fills apiNodes, apiEdges, the apiNode/apiEntry/calleeEntry columns and the edge-less entry/exit lists. */
export function buildApiTrace(trace: EnrichedTrace): void {
  const { children, parent, spans, roots } = trace;
  const { apiBoundary, apiNode } = trace.enriched;
  const n = spans.length;
  trace.apiNodes = [];
  trace.apiEdges = [];

  // Spans are in breadth-first order, so nodes come out in that order too.
  for (let i = 0; i < n; i++) if (apiBoundary[i] === 'ENTRY') growNode(trace, i, true);
  for (let r = 0; r < roots.length; r++) if (apiNode[roots[r]] === -1) growNode(trace, roots[r], false);
  for (let i = 0; i < n; i++) if (apiNode[i] === -1) addToNode(trace, apiNode[parent[i]], i);

  const incoming = new Uint8Array(n);
  const outgoing = new Uint8Array(n);
  const nodes: ApiNode[] = trace.apiNodes;
  for (let k = 0; k < nodes.length; k++) {
    const node = nodes[k];
    for (const exit of node.exits) {
      for (const c of children[exit]) if (apiBoundary[c] === 'ENTRY') addEdge(trace, 'EXIT_ENTRY', exit, c, incoming, outgoing);
    }
    // Proxies such as Istio or Kong emit only entry spans: link entry to entry across services.
    const entry = node.entry;
    if (entry !== -1) {
      for (const c of children[entry]) {
        if (apiBoundary[c] === 'ENTRY' && spans[c].serviceName !== spans[entry].serviceName) addEdge(trace, 'ENTRY_ENTRY', entry, c, incoming, outgoing);
      }
    }
  }

  let entries = 0;
  let exits = 0;
  for (let i = 0; i < n; i++) {
    if (apiBoundary[i] === 'ENTRY' && !incoming[i]) nodeSpans[entries++] = i;
    else if (apiBoundary[i] === 'EXIT' && !outgoing[i]) nodeExits[exits++] = i;
  }
  trace.entriesWithoutIncoming = nodeSpans.slice(0, entries);
  trace.exitsWithoutOutgoing = nodeExits.slice(0, exits);
  // A huge trace does not leave scratch lists of its size behind.
  if (nodeSpans.length > MAX_SCRATCH || nodeExits.length > MAX_SCRATCH) {
    nodeSpans.length = 0;
    nodeExits.length = 0;
    queue.length = 0;
  }
}

export const apiTraceEnricher: Enricher = {
  name: 'ApiTrace',
  dependsOn: ['ApiBoundary'],
  enrich({ trace }) {
    buildApiTrace(trace);
  },
};
