// The attribute catalog: for each scope, the attributes a query may select, filter, group
// and order by — their type and units (what `metadata` serves), the aggregations they
// support, and where their values live: a column of the scope's view (query-service, "QS")
// and/or a field of the entity store (entity-data-service, "EDS"). The content is in
// catalogSpecs.ts (reference/hypertrace-query.md §3 and §5); this module is the one place
// that turns it into definitions, so the planner, the GraphQL layer and the console agree.
import { TesseraError } from '../errors.ts';
import { columnOf, viewNamed } from '../views/schema.ts';
import { SCOPE_SPECS, type ScopeSpec, type Spec } from './catalogSpecs.ts';

export type AttributeType = 'STRING' | 'LONG' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP' | 'STRING_MAP' | 'STRING_ARRAY';

export type AggregationType = 'COUNT' | 'AVG' | 'SUM' | 'MIN' | 'MAX' | 'AVGRATE' | 'PERCENTILE' | 'DISTINCTCOUNT' | 'DISTINCT_ARRAY';
export const AGGREGATION_TYPES: readonly AggregationType[] = ['COUNT', 'AVG', 'SUM', 'MIN', 'MAX', 'AVGRATE', 'PERCENTILE', 'DISTINCTCOUNT', 'DISTINCT_ARRAY'];

/** An entity-store field: the entity's id, its name, or one of its attributes. */
export type EntityField = 'id' | 'name' | { attribute: string };

export type AttributeSource = 'QS' | 'EDS';

/** How values are read and written beyond their type. */
export type AttributeFormat =
  /** A trace id: 16 or 32 hex chars in, matched as the stored 32-char zero-extended form. */
  | 'traceId'
  /** A span id: lowercase 16-hex. */
  | 'spanId'
  /** Epoch milliseconds; filters also take ISO-8601 strings. */
  | 'epochMs'
  /** Epoch nanoseconds stored, ISO-8601 (µs precision) served. */
  | 'epochNs';

export interface AttributeDef {
  scope: string;
  key: string;
  displayName: string;
  type: AttributeType;
  units: string;
  /** METRIC attributes are the aggregatable measures (duration, counts). */
  kind: 'ATTRIBUTE' | 'METRIC';
  groupable: boolean;
  /** Where Hypertrace declares the value lives. */
  sources: readonly AttributeSource[];
  /** The aggregations metadata declares (Hypertrace's defaults by kind and type unless set). */
  supportedAggregations: readonly AggregationType[];
  /** Only aggregations, never the plain value (API_TRACE.calls, SPAN.spans). */
  onlyAggregationsAllowed: boolean;
  /** The view column, when this build's view has it. */
  source?: { view: string; column: string };
  /** The entity-store field (EDS source). */
  entity?: EntityField;
  /** Computed by the gateway (edge requests), never read from a store. */
  virtual?: boolean;
  format?: AttributeFormat;
}

export interface ScopeDef {
  scope: string;
  view: string;
  /** The attribute the `id` field serves. */
  idKey: string;
  /** The attribute `between` filters on. */
  startTimeKey: string;
  /** Order when a query gives none; the id breaks ties so pages are stable. */
  defaultOrder: { key: string; direction: 'ASC' | 'DESC' }[];
  /** ID filters: the foreign scope named by idScope/idType → the attribute it filters. */
  idFilterKeys: Record<string, string>;
  /** SERVICE, API and BACKEND: the entity-store type behind the scope. */
  entityType?: 'SERVICE' | 'API' | 'BACKEND';
  /** Filters every query of the scope carries (gateway-service scopeFiltersConfig). */
  implicit: { key: string; op: 'eq' | 'present'; value?: string }[];
}

const NUMERIC = new Set<AttributeType>(['LONG', 'DOUBLE']);
export const isNumeric = (def: AttributeDef): boolean => NUMERIC.has(def.type);

/** Hypertrace's defaults when a catalog entry declares none (attribute-service AggregateFunctionUtil). */
function defaultAggregations(kind: 'ATTRIBUTE' | 'METRIC', type: AttributeType): AggregationType[] {
  if (kind === 'METRIC') return ['SUM', 'MIN', 'MAX', 'AVG', 'AVGRATE', 'PERCENTILE'];
  if (NUMERIC.has(type)) return ['SUM', 'MIN', 'MAX', 'AVG'];
  if (type === 'STRING') return ['DISTINCTCOUNT'];
  return [];
}

/**
 * Whether the gateway computes `agg` over this attribute: what metadata declares, COUNT on
 * anything (it counts rows), every numeric aggregation on a numeric attribute (the UI asks
 * `metric(endTime) { max }`), and distinct counts and arrays of plain values.
 */
export function aggregationAllowed(def: AttributeDef, agg: AggregationType): boolean {
  if (agg === 'COUNT' || def.supportedAggregations.includes(agg)) return true;
  if (def.onlyAggregationsAllowed) return false;
  if (isNumeric(def)) return true;
  if (def.type === 'STRING' || def.type === 'BOOLEAN') return agg === 'DISTINCTCOUNT' || agg === 'DISTINCT_ARRAY';
  return false;
}

const SCOPE_ALIASES: Record<string, string> = { EVENT: 'SPAN' };

export class AttributeCatalog {
  private readonly scopes = new Map<string, ScopeDef>();
  private readonly attrs = new Map<string, AttributeDef>();

  constructor(scopes: ScopeDef[], attributes: AttributeDef[]) {
    for (const s of scopes) this.scopes.set(s.scope, s);
    for (const d of attributes) this.attrs.set(`${d.scope}.${d.key}`, d);
  }

  /** A scope by its external name (SPAN) or Hypertrace's internal one (EVENT). */
  scope(scope: string): ScopeDef {
    const def = this.scopes.get(SCOPE_ALIASES[scope] ?? scope);
    if (!def) throw new TesseraError('BAD_QUERY', `unknown scope ${JSON.stringify(scope)}: one of ${[...this.scopes.keys()].join(', ')}`);
    return def;
  }

  /** The attribute `<scope>.<key>`; UNKNOWN_ATTRIBUTE when the catalog has none. */
  attribute(scope: string, key: string): AttributeDef {
    const name = SCOPE_ALIASES[scope] ?? scope;
    const def = this.attrs.get(`${name}.${key}`);
    if (!def) throw new TesseraError('UNKNOWN_ATTRIBUTE', `no attribute ${JSON.stringify(key)} in scope ${name}`);
    return def;
  }

  /** The view column of an attribute, or BAD_QUERY naming why there is none. */
  column(def: AttributeDef, what: string): string {
    if (def.source) return def.source.column;
    if (def.virtual) throw new TesseraError('BAD_QUERY', `${what}: ${def.scope}.${def.key} is only computed for edge requests`);
    if (def.entity) throw new TesseraError('BAD_QUERY', `${what}: ${def.scope}.${def.key} is kept by the entity store only`);
    throw new TesseraError('BAD_QUERY', `${what}: ${def.scope}.${def.key} is not stored by this build`);
  }

  /** Every attribute, for `metadata`. */
  list(): AttributeDef[] {
    return [...this.attrs.values()];
  }

  /** Every scope. */
  allScopes(): ScopeDef[] {
    return [...this.scopes.values()];
  }
}

function defOf(scope: ScopeSpec, s: Spec): AttributeDef {
  const kind = s.kind ?? 'ATTRIBUTE';
  const view = viewNamed(scope.view);
  const stored = s.column !== undefined && view !== undefined && columnOf(view, s.column) !== undefined;
  const sources: AttributeSource[] = [];
  if (s.column !== undefined) sources.push('QS');
  if (s.entity !== undefined) sources.push('EDS');
  return {
    scope: scope.scope,
    key: s.key,
    displayName: s.displayName,
    type: s.type,
    units: s.units ?? '',
    kind,
    groupable: s.groupable ?? false,
    sources,
    supportedAggregations: s.aggregations ?? defaultAggregations(kind, s.type),
    onlyAggregationsAllowed: s.onlyAggregationsAllowed ?? false,
    ...(stored ? { source: { view: scope.view, column: s.column! } } : {}),
    ...(s.entity === undefined ? {} : { entity: s.entity }),
    ...(s.virtual ? { virtual: true } : {}),
    ...(s.format ? { format: s.format } : {}),
  };
}

/** A catalog from scope specs (the default one below, or a test's). */
export function buildCatalog(specs: readonly ScopeSpec[]): AttributeCatalog {
  const scopes: ScopeDef[] = specs.map((s) => ({
    scope: s.scope,
    view: s.view,
    idKey: s.idKey,
    startTimeKey: s.startTimeKey,
    defaultOrder: s.defaultOrder,
    idFilterKeys: s.idFilterKeys,
    implicit: s.implicit ?? [],
    ...(s.entityType ? { entityType: s.entityType } : {}),
  }));
  return new AttributeCatalog(scopes, specs.flatMap((s) => s.attributes.map((spec) => defOf(s, spec))));
}

/** The catalog this build serves. */
export const catalog = buildCatalog(SCOPE_SPECS);
