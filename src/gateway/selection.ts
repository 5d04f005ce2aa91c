// What a result-set field's selection asks for: the `attribute(...)` values of its results
// (through aliases, fragments and variables), whether `total` is selected, and the same for
// nested result sets such as Span.logEvents. The planner fetches exactly that in one query.
import {
  getArgumentValues,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLField,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
import type { AttributeRequest } from './planner.ts';

export interface ResultSetSelection {
  attributes: AttributeRequest[];
  /** `results` or `count` is selected: rows are needed, not only the total. */
  rows: boolean;
  total: boolean;
  /** Nested result sets of each result, by field name (e.g. logEvents). */
  nested: Map<string, ResultSetSelection>;
}

export type Info = Pick<GraphQLResolveInfo, 'fragments' | 'variableValues' | 'schema'>;

/** Every field node of a selection set, fragments flattened. */
export function fieldsOf(set: SelectionSetNode | undefined, info: Info, out: FieldNode[] = []): FieldNode[] {
  for (const sel of set?.selections ?? []) {
    if (sel.kind === Kind.FIELD) out.push(sel);
    else if (sel.kind === Kind.INLINE_FRAGMENT) fieldsOf(sel.selectionSet, info, out);
    else {
      const fragment = info.fragments[sel.name.value];
      if (fragment) fieldsOf(fragment.selectionSet, info, out);
    }
  }
  return out;
}

/** A field of an object type of the schema, for reading a node's arguments. */
export function schemaField(info: Info, typeName: string, field: string): GraphQLField<unknown, unknown> | undefined {
  const type = info.schema.getType(typeName);
  return isObjectType(type) ? type.getFields()[field] : undefined;
}

/** A node's arguments, coerced as its resolver will see them (variables resolved). */
export function argsOf<T>(info: Info, typeName: string, node: FieldNode): T {
  const field = schemaField(info, typeName, node.name.value);
  return (field ? getArgumentValues(field, node, info.variableValues) : {}) as T;
}

const attributeField = (info: Info, typeName: string) => schemaField(info, typeName, 'attribute');

/** The attribute a field node of `attribute(key | expression)` names, with variables resolved. */
export function requestOf(node: FieldNode, field: GraphQLField<unknown, unknown>, info: Info): AttributeRequest | undefined {
  const args = getArgumentValues(field, node, info.variableValues) as { key?: string; expression?: { key: string; subpath?: string | null } };
  const key = args.expression?.key ?? args.key;
  if (!key) return undefined;
  const subpath = args.expression?.subpath;
  return subpath === undefined || subpath === null ? { key } : { key, subpath };
}

/**
 * The selection of a result set (`{ results { … } count total }`) whose results are of
 * `resultType`; `nestedTypes` names the result type of each nested result-set field.
 */
export function resultSetSelection(
  nodes: readonly FieldNode[],
  info: Info,
  resultType: string,
  nestedTypes: Record<string, string> = {},
): ResultSetSelection {
  const out: ResultSetSelection = { attributes: [], rows: false, total: false, nested: new Map() };
  const attrField = attributeField(info, resultType);
  const nestedNodes = new Map<string, FieldNode[]>();
  for (const node of nodes) {
    for (const f of fieldsOf(node.selectionSet, info)) {
      if (f.name.value === 'total') out.total = true;
      if (f.name.value === 'count') out.rows = true;
      if (f.name.value !== 'results') continue;
      out.rows = true;
      for (const r of fieldsOf(f.selectionSet, info)) {
        const name = r.name.value;
        if (name === 'attribute' && attrField) {
          const req = requestOf(r, attrField, info);
          if (req) out.attributes.push(req);
        } else if (name in nestedTypes) {
          nestedNodes.set(name, [...(nestedNodes.get(name) ?? []), r]);
        }
      }
    }
  }
  for (const [name, fieldNodes] of nestedNodes) out.nested.set(name, resultSetSelection(fieldNodes, info, nestedTypes[name]));
  return out;
}
