// What an entities request's selection asks for, read from the GraphQL document before any
// query runs: the attributes of each entity, every metric aggregation (`metric(k) { p99:
// percentile(size: 99) { value } … }`), every series, and every incoming/outgoing edge request
// with its own metrics and its neighbors' selection. The entities executor fetches exactly
// that, in one query per need; resolvers then read the values back by slot.
import type { FieldNode } from 'graphql';
import type { AggregationType } from './catalog.ts';
import type { MetricRequest, TimeUnit } from './metrics.ts';
import type { AttributeRequest, FilterArg } from './planner.ts';
import { argsOf, fieldsOf, requestOf, schemaField, type Info } from './selection.ts';

export interface SeriesRequest {
  key: string;
  subpath?: string;
  size: number;
  units: TimeUnit;
  metrics: MetricRequest[];
}

export interface EdgeRequest {
  slot: string;
  direction: 'incoming' | 'outgoing';
  neighborScope: string;
  filterBy: FilterArg[];
  attributes: AttributeRequest[];
  metrics: MetricRequest[];
  neighbor: EntityFields;
}

/** What one entity (a result, or an edge's neighbor) needs. */
export interface EntityFields {
  attributes: AttributeRequest[];
  metrics: MetricRequest[];
  series: SeriesRequest[];
  edges: EdgeRequest[];
}

export interface EntitySelection extends EntityFields {
  rows: boolean;
  total: boolean;
}

/** The aggregation each field of a metric container computes. */
export const AGGREGATION_FIELDS: Record<string, AggregationType> = {
  sum: 'SUM',
  min: 'MIN',
  max: 'MAX',
  avg: 'AVG',
  count: 'COUNT',
  distinctcount: 'DISTINCTCOUNT',
  distinctarray: 'DISTINCT_ARRAY',
  avgrate: 'AVGRATE',
  percentile: 'PERCENTILE',
};

interface ExpressionArgs {
  key?: string | null;
  expression?: { key: string; subpath?: string | null } | null;
}

/** The attribute a `metric(key | expression)` node names. */
function metricTarget(args: ExpressionArgs): { key: string; subpath?: string } | undefined {
  const key = args.expression?.key ?? args.key;
  if (!key) return undefined;
  const subpath = args.expression?.subpath;
  return subpath === undefined || subpath === null ? { key } : { key, subpath };
}

/** The aggregations asked of one metric container (or one series interval) of type `typeName`. */
function aggregationsOf(nodes: readonly FieldNode[], info: Info, typeName: string, target: { key: string; subpath?: string }): MetricRequest[] {
  const out: MetricRequest[] = [];
  for (const f of nodes) {
    const aggregation = AGGREGATION_FIELDS[f.name.value];
    if (!aggregation) continue;
    const args = argsOf<{ size?: number; units?: TimeUnit }>(info, typeName, f);
    out.push({ ...target, aggregation, ...(args.size == null ? {} : { size: args.size }), ...(args.units == null ? {} : { units: args.units }) });
  }
  return out;
}

/** The edge result set's slot in a row: one per direction, neighbor scope and filter. */
export const edgeSlot = (direction: string, neighborScope: string, filterBy: unknown): string =>
  `${direction}\u0000${neighborScope}\u0000${JSON.stringify(filterBy ?? [])}`;

function edgeRequest(node: FieldNode, info: Info, direction: 'incoming' | 'outgoing'): EdgeRequest | undefined {
  const args = argsOf<{ neighborType?: string | null; neighborScope?: string | null; filterBy?: (FilterArg | null)[] | null }>(info, 'Entity', node);
  const neighborScope = args.neighborScope ?? args.neighborType;
  if (!neighborScope) return undefined;
  const out: EdgeRequest = {
    slot: edgeSlot(direction, neighborScope, args.filterBy),
    direction,
    neighborScope,
    filterBy: (args.filterBy ?? []).filter((f): f is FilterArg => f !== null),
    attributes: [],
    metrics: [],
    neighbor: { attributes: [], metrics: [], series: [], edges: [] },
  };
  const neighborNodes: FieldNode[] = [];
  const attr = schemaField(info, 'Edge', 'attribute');
  for (const r of fieldsOf(node.selectionSet, info)) {
    if (r.name.value !== 'results') continue;
    for (const f of fieldsOf(r.selectionSet, info)) {
      if (f.name.value === 'attribute' && attr) {
        const req = requestOf(f, attr, info);
        if (req) out.attributes.push(req);
      } else if (f.name.value === 'metric') {
        const target = metricTarget(argsOf<ExpressionArgs>(info, 'Edge', f));
        if (target) out.metrics.push(...aggregationsOf(fieldsOf(f.selectionSet, info), info, 'BaselinedMetricAggregationContainer', target));
      } else if (f.name.value === 'neighbor') neighborNodes.push(f);
    }
  }
  out.neighbor = entityFields(neighborNodes, info);
  return out;
}

/** What the selections `nodes` (each on an Entity) ask of it. */
export function entityFields(nodes: readonly FieldNode[], info: Info): EntityFields {
  const out: EntityFields = { attributes: [], metrics: [], series: [], edges: [] };
  const attr = schemaField(info, 'Entity', 'attribute');
  for (const node of nodes) {
    for (const f of fieldsOf(node.selectionSet, info)) {
      const name = f.name.value;
      if (name === 'attribute' && attr) {
        const req = requestOf(f, attr, info);
        if (req) out.attributes.push(req);
      } else if (name === 'metric') {
        const target = metricTarget(argsOf<ExpressionArgs>(info, 'Entity', f));
        if (!target) continue;
        const children = fieldsOf(f.selectionSet, info);
        out.metrics.push(...aggregationsOf(children, info, 'MetricContainer', target));
        for (const c of children) {
          if (c.name.value !== 'series' && c.name.value !== 'baselineSeries') continue;
          const { size, units } = argsOf<{ size: number; units: TimeUnit }>(info, 'MetricContainer', c);
          const intervalType = c.name.value === 'series' ? 'MetricInterval' : 'baselineInterval';
          out.series.push({ ...target, size, units, metrics: aggregationsOf(fieldsOf(c.selectionSet, info), info, intervalType, target) });
        }
      } else if (name === 'incomingEdges' || name === 'outgoingEdges') {
        const edge = edgeRequest(f, info, name === 'incomingEdges' ? 'incoming' : 'outgoing');
        if (edge) out.edges.push(edge);
      }
    }
  }
  return out;
}

/** The selection of an entities result set (`{ results { … } count total }`). */
export function entitySelection(nodes: readonly FieldNode[], info: Info): EntitySelection {
  let rows = false;
  let total = false;
  const results: FieldNode[] = [];
  for (const node of nodes) {
    for (const f of fieldsOf(node.selectionSet, info)) {
      if (f.name.value === 'total') total = true;
      if (f.name.value === 'count') rows = true;
      if (f.name.value === 'results') {
        rows = true;
        results.push(f);
      }
    }
  }
  return { rows, total, ...entityFields(results, info) };
}
