// Bounds on what one operation may ask, checked at validation (before anything runs): the
// nesting depth of its selections and a cost — one per field, plus a surcharge for each field
// that costs the store one more query (edges, series, log events, explore and entities).
// Answers LIMIT_TOO_LARGE naming the bound.
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';
import { TesseraError } from '../errors.ts';

export interface QueryBounds {
  maxDepth: number;
  maxCost: number;
}

export const DEFAULT_BOUNDS: QueryBounds = { maxDepth: 12, maxCost: 5000 };

/** Fields that each cost one more store query per occurrence. */
const QUERY_FIELDS: Record<string, number> = {
  entities: 10, traces: 10, spans: 10, logEvents: 10, explore: 10,
  incomingEdges: 10, outgoingEdges: 10, series: 10, baselineSeries: 10,
};

interface Measure {
  depth: number;
  cost: number;
}

function measure(set: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): Measure {
  let depth = 0;
  let cost = 0;
  for (const sel of set?.selections ?? []) {
    if (sel.kind === Kind.FIELD) {
      const inner = measure(sel.selectionSet, fragments, seen);
      depth = Math.max(depth, 1 + inner.depth);
      cost += 1 + (QUERY_FIELDS[sel.name.value] ?? 0) + inner.cost;
    } else {
      const name = sel.kind === Kind.FRAGMENT_SPREAD ? sel.name.value : undefined;
      // A fragment cycle is reported by graphql's own rule; here it only must not loop.
      if (name !== undefined && seen.has(name)) continue;
      const next = name === undefined ? seen : new Set([...seen, name]);
      const inner = measure(sel.kind === Kind.INLINE_FRAGMENT ? sel.selectionSet : fragments.get(sel.name.value)?.selectionSet, fragments, next);
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
    }
  }
  return { depth, cost };
}

function limitError(message: string, node: import('graphql').ASTNode): GraphQLError {
  return new GraphQLError(message, { nodes: [node], originalError: new TesseraError('LIMIT_TOO_LARGE', message) });
}

/** A validation rule enforcing `bounds` on every operation of a document. */
export function queryBoundsRule(bounds: QueryBounds = DEFAULT_BOUNDS): (ctx: ValidationContext) => ASTVisitor {
  return (ctx) => ({
    OperationDefinition(node) {
      const fragments = new Map(ctx.getDocument().definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
      const m = measure(node.selectionSet, fragments, new Set());
      if (m.depth > bounds.maxDepth) ctx.reportError(limitError(`query depth ${m.depth} is over the maximum of ${bounds.maxDepth}`, node));
      if (m.cost > bounds.maxCost) ctx.reportError(limitError(`query cost ${m.cost} is over the maximum of ${bounds.maxCost}`, node));
    },
  });
}
