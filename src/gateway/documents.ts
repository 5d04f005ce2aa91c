// Parsed and validated GraphQL documents, cached twice. By text: a client repeating a query
// (dashboards, polling) parses and validates it once. By shape: the UI sends the same query
// with other ids and times, a new text each time; full validation (~25 rules walking the
// document with type information) then cost three times the parse and most of the gateway's
// own time on a trace lookup. A document whose shape — the text with every literal value
// replaced by its kind — passed validation before is only checked again by the rules that
// read literal values. Documents are parsed without source locations (5x faster: graphql
// keeps every token of a located document); a document that fails validation is parsed again
// with them, so its errors point into the text. Resolver errors carry their path, no location.
import { Kind, parse, validate, GraphQLError, OverlappingFieldsCanBeMergedRule, ValuesOfCorrectTypeRule, type ASTNode, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * The specified rules whose verdict depends on literal values: whether a value fits its type
 * (enum members, custom scalars' parsing), and whether two fields with one response name ask
 * with the same arguments. Every other rule reads names, structure and variables only, which
 * the shape keeps. A custom rule that reads values must be added here.
 */
export const VALUE_RULES: readonly ValidationRule[] = [ValuesOfCorrectTypeRule, OverlappingFieldsCanBeMergedRule];

/** Literal kinds the shape keeps only the kind of. */
const LITERALS = new Set<string>([Kind.INT, Kind.FLOAT, Kind.STRING, Kind.BOOLEAN, Kind.ENUM]);

/**
 * The document's shape as a string: node kinds, names and structure in order, literal values
 * reduced to their kind (null stays null). Equal shapes differ only in literal values.
 */
export function shapeOf(doc: DocumentNode): string {
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      parts.push('[');
      for (const n of node) walk(n);
      parts.push(']');
      return;
    }
    if (node === null || typeof node !== 'object') {
      // Plain values on a node (an operation's type, a name's text): kept as they are.
      parts.push(JSON.stringify(node ?? null));
      return;
    }
    const n = node as ASTNode & Record<string, unknown>;
    parts.push(n.kind);
    if (LITERALS.has(n.kind)) return;
    parts.push('{');
    for (const key in n) {
      if (key === 'kind' || key === 'loc') continue;
      parts.push(key);
      walk(n[key]);
    }
    parts.push('}');
  };
  walk(doc);
  return parts.join(' ');
}

export type DocumentOrErrors = DocumentNode | readonly GraphQLError[];

/** Parses and validates query texts against `schema` with `rules`, through both caches. */
export function documentCache(schema: GraphQLSchema, rules: readonly ValidationRule[], max = 1000): (query: string) => DocumentOrErrors {
  const byText = new LRUCache<string, DocumentOrErrors>({ max, maxSize: 8 * 1024 * 1024, sizeCalculation: (_doc, query) => query.length + 1 });
  // Shapes that passed every rule; a failing shape is not kept (its next text is checked in full).
  const validShapes = new LRUCache<string, true>({ max, maxSize: 16 * 1024 * 1024, sizeCalculation: (_v, shape) => shape.length + 1 });
  const valueRules = rules.filter((r) => VALUE_RULES.includes(r));

  return (query) => {
    const cached = byText.get(query);
    if (cached) return cached;
    let result: DocumentOrErrors;
    try {
      const doc = parse(query, { noLocation: true });
      const shape = shapeOf(doc);
      const known = validShapes.has(shape);
      const checked = known ? valueRules : rules;
      if (validate(schema, doc, checked).length === 0) {
        if (!known) validShapes.set(shape, true);
        result = doc;
      } else result = validate(schema, parse(query), checked);
    } catch (err) {
      result = [err instanceof GraphQLError ? err : new GraphQLError(String(err))];
    }
    byText.set(query, result);
    return result;
  };
}
