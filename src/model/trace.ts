import type { Span } from './span.ts';

/**
 * A trace as the assembler hands it on: spans de-duplicated by span id, in breadth-first
 * order from the roots (roots by start time, children by start time), with the tree as
 * index arrays so enrichers can walk it without maps.
 */
export interface AssembledTrace {
  tenant: string;
  traceId: string;
  /** Breadth-first order. */
  spans: Span[];
  /** parent[i] = index of span i's parent in `spans`, or -1 for a root. */
  parent: number[];
  /** children[i] = indexes of span i's children, by start time. */
  children: number[][];
  /** Indexes of the roots, by start time. */
  roots: number[];
  /** A span refers to a parent that is not in the trace. */
  partial: boolean;
  missingSpanIds: string[];
  startUs: number;
  endUs: number;
  /** How many times this trace has been written before (0 on the first write). */
  revision: number;
}
