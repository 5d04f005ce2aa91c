// The planner: a result-set request (GraphQL arguments plus the attributes the selection
// asks for) → one dialect-neutral ViewQuery, through the attribute catalog. Semantics from
// reference/hypertrace-query.md §1: limit 100 by default and at most 10 000, offset 0, `between`
// on the scope's start time, filters ANDed, LIKE as a regular expression, ID filters mapped
// per scope, every query scoped to the caller's tenant.
import { TesseraError } from '../errors.ts';
import type { ColumnRef, OrderTerm, Predicate, Selection, ViewQuery } from '../store/query.ts';
import type { AttributeCatalog, AttributeDef, ScopeDef } from './catalog.ts';
import { filterValue } from './values.ts';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

export interface AttributeExpression {
  key: string;
  subpath?: string | null;
}

export interface FilterArg {
  type: 'ATTRIBUTE' | 'ID';
  key?: string | null;
  keyExpression?: AttributeExpression | null;
  operator: string;
  value: unknown;
  idType?: string | null;
  idScope?: string | null;
}

export interface OrderArg {
  key?: string | null;
  keyExpression?: AttributeExpression | null;
  direction?: 'ASC' | 'DESC' | null;
}

export interface ResultSetArgs {
  /** Epoch milliseconds, start inclusive, end exclusive. */
  between: { startTime: number; endTime: number } | null;
  filterBy?: readonly (FilterArg | null)[] | null;
  orderBy?: readonly (OrderArg | null)[] | null;
  limit?: number | null;
  offset?: number | null;
  space?: string | null;
}

/** One `attribute(...)` the selection asks for. */
export interface AttributeRequest {
  key: string;
  subpath?: string;
}

/** Where a requested attribute's value is in the result rows. */
export interface PlannedValue {
  /** Absent when no store has the value: it reads as null. */
  as?: string;
  def: AttributeDef;
  subpath?: string;
}

export interface Plan {
  query: ViewQuery;
  scope: ScopeDef;
  /** By slotOf(request). */
  values: Map<string, PlannedValue>;
}

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);

/** The key a requested attribute is found under in a planned row. */
export const slotOf = (r: AttributeRequest): string => (r.subpath === undefined ? r.key : `${r.key}\u0000${r.subpath}`);

function keyOf(arg: { key?: string | null; keyExpression?: AttributeExpression | null }, what: string): AttributeRequest {
  const key = arg.keyExpression?.key ?? arg.key;
  if (!key) throw bad(`${what} needs keyExpression {key} (or key)`);
  const subpath = arg.keyExpression?.subpath ?? undefined;
  return subpath === undefined || subpath === null ? { key } : { key, subpath };
}

/** The column (or map entry) an attribute reads; BAD_QUERY when the view has none. */
export function refOf(cat: AttributeCatalog, def: AttributeDef, subpath: string | undefined, what: string): ColumnRef {
  const column = cat.column(def, what);
  if (subpath === undefined) return { column };
  if (def.type !== 'STRING_MAP') throw bad(`${what}: ${def.key} is ${def.type}, it has no subpath`);
  return { column, key: subpath };
}

const COMPARISONS: Record<string, 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte'> = {
  EQUALS: 'eq',
  NOT_EQUALS: 'neq',
  LESS_THAN: 'lt',
  LESS_THAN_OR_EQUAL_TO: 'lte',
  GREATER_THAN: 'gt',
  GREATER_THAN_OR_EQUAL_TO: 'gte',
};

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** LIKE is a regular expression (Pinot regexp_like), checked here so the store never sees a bad one. */
function regexOf(value: unknown, what: string): string {
  if (typeof value !== 'string') throw bad(`${what}: LIKE takes a regular expression string`);
  try {
    new RegExp(value);
  } catch {
    throw bad(`${what}: ${JSON.stringify(value)} is not a regular expression`);
  }
  return value;
}

/** The attribute a filter reads: an ID filter's mapped key, or its key expression. */
export function filterTarget(cat: AttributeCatalog, scope: ScopeDef, f: FilterArg): { def: AttributeDef; subpath?: string } {
  let req: AttributeRequest;
  if (f.type === 'ID') {
    const foreign = f.idScope ?? f.idType;
    if (!foreign) throw bad('an ID filter needs idScope or idType');
    // Entity scopes also take their own type's id (entities(scope: "SERVICE") by SERVICE id).
    const key = scope.idFilterKeys[foreign] ?? (foreign === scope.scope ? scope.idKey : undefined);
    if (!key) throw bad(`scope ${scope.scope} has no ID filter for ${foreign}`);
    req = { key };
  } else {
    req = keyOf(f, 'an ATTRIBUTE filter');
  }
  const def = cat.attribute(scope.scope, req.key);
  return req.subpath === undefined ? { def } : { def, subpath: req.subpath };
}

/** One filter as a predicate on the scope's view (pure: live subscriptions reuse it). */
export function filterPredicate(cat: AttributeCatalog, scope: ScopeDef, f: FilterArg): Predicate {
  const { def, subpath } = filterTarget(cat, scope, f);
  const what = `filter ${f.operator} on ${def.key}`;
  // Map entries hold strings: compare them as such, whatever the map attribute's type.
  const entryDef: AttributeDef = subpath === undefined ? def : { ...def, type: 'STRING', format: undefined };
  const value = (v: unknown, exact = true) => filterValue(entryDef, v, exact);

  const cmp = COMPARISONS[f.operator];
  if (cmp) {
    if (Array.isArray(f.value)) throw bad(`${what}: expected a single value`);
    if (def.type === 'STRING_MAP' && subpath === undefined) throw bad(`${what}: a map compares by subpath or with CONTAINS_KEY`);
    return { op: cmp, ref: refOf(cat, def, subpath, what), value: value(f.value) };
  }
  switch (f.operator) {
    case 'IN':
    case 'NOT_IN':
      if (def.type === 'STRING_MAP' && subpath === undefined) throw bad(`${what}: a map compares by subpath`);
      return { op: f.operator === 'IN' ? 'in' : 'notIn', ref: refOf(cat, def, subpath, what), values: asList(f.value).map((v) => value(v)) };
    case 'LIKE': {
      if (def.type === 'STRING_MAP' && subpath === undefined) throw bad(`${what}: a map matches by subpath`);
      return { op: 'regex', ref: refOf(cat, def, subpath, what), pattern: regexOf(f.value, what) };
    }
    case 'CONTAINS_KEY':
    case 'NOT_CONTAINS_KEY':
    case 'CONTAINS_KEY_LIKE':
    case 'CONTAINS_KEY_VALUE': {
      if (def.type !== 'STRING_MAP' || subpath !== undefined) throw bad(`${what}: needs a map attribute without subpath`);
      const column = cat.column(def, what);
      const [key, entry] = asList(f.value);
      if (typeof key !== 'string') throw bad(`${what}: value is [key] or [key, value]`);
      if (f.operator === 'NOT_CONTAINS_KEY') return { op: 'notContainsKey', column, key };
      if (f.operator === 'CONTAINS_KEY_LIKE') return { op: 'containsKeyLike', column, pattern: regexOf(key, what) };
      const has: Predicate = { op: 'containsKey', column, key };
      if (f.operator === 'CONTAINS_KEY') return has;
      if (entry === undefined) throw bad(`${what}: value is [key, value]`);
      return { op: 'and', terms: [has, { op: 'eq', ref: { column, key }, value: String(entry) }] };
    }
    default:
      throw bad(`${what}: operator ${f.operator} is not supported`);
  }
}

/** Limit and offset with the reference's defaults and bound. */
export function pageOf(args: { limit?: number | null; offset?: number | null }): { limit: number; offset: number } {
  const limit = args.limit ?? DEFAULT_LIMIT;
  const offset = args.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 0) throw bad(`limit must be a non-negative integer, got ${limit}`);
  if (limit > MAX_LIMIT) throw new TesseraError('LIMIT_TOO_LARGE', `limit ${limit} is over the maximum of ${MAX_LIMIT}`);
  if (!Number.isInteger(offset) || offset < 0) throw bad(`offset must be a non-negative integer, got ${offset}`);
  return { limit, offset };
}

/**
 * Selections for the requested attributes, aliased v0, v1… (user text never becomes SQL). An
 * attribute this build's view does not store (nor the entity store) answers null, as
 * Hypertrace fills missing attributes with defaults.
 */
export function plannedValues(cat: AttributeCatalog, scope: ScopeDef, requested: readonly AttributeRequest[]): { select: Selection[]; values: Map<string, PlannedValue> } {
  const values = new Map<string, PlannedValue>();
  const select: Selection[] = [];
  for (const r of requested) {
    const slot = slotOf(r);
    if (values.has(slot)) continue;
    const def = cat.attribute(scope.scope, r.key);
    const sub = r.subpath === undefined ? {} : { subpath: r.subpath };
    if (!def.source) {
      values.set(slot, { def, ...sub });
      continue;
    }
    const as = `v${select.length}`;
    select.push({ as, ref: refOf(cat, def, r.subpath, `attribute ${r.key}`) });
    values.set(slot, { as, def, ...sub });
  }
  return { select, values };
}

/** A `between` as epoch ms; BAD_TIME_RANGE unless start is before end. */
export function timeRangeOf(between: { startTime: number; endTime: number } | null | undefined): { startTime: number; endTime: number } {
  if (!between) throw bad('a time range (between) is required');
  const { startTime, endTime } = between;
  const badRange = (message: string) => new TesseraError('BAD_TIME_RANGE', `bad time range: ${message}`);
  if (!Number.isFinite(startTime) || !Number.isFinite(endTime)) throw badRange('startTime and endTime must be instants');
  if (startTime >= endTime) {
    throw badRange(`startTime ${new Date(startTime).toISOString()} is not before endTime ${new Date(endTime).toISOString()}`);
  }
  return { startTime, endTime };
}

/**
 * What every query of a scope filters on: the time range on its start time, its implicit
 * filters (API_TRACE: API entry spans with an API), the caller's filters and space.
 */
export function scopeWhere(cat: AttributeCatalog, scope: ScopeDef, args: Pick<ResultSetArgs, 'filterBy' | 'space'> & { between?: ResultSetArgs['between'] | null }): Predicate[] {
  const where: Predicate[] = [];
  if (args.between) {
    const { startTime, endTime } = timeRangeOf(args.between);
    const time = cat.attribute(scope.scope, scope.startTimeKey);
    const column = cat.column(time, 'time range');
    where.push({ op: 'gte', ref: { column }, value: filterValue(time, startTime) }, { op: 'lt', ref: { column }, value: filterValue(time, endTime) });
  }
  for (const f of scope.implicit) {
    const column = cat.column(cat.attribute(scope.scope, f.key), `scope ${scope.scope}`);
    if (f.op === 'eq') where.push({ op: 'eq', ref: { column }, value: f.value ?? null });
    else where.push({ op: 'neq', ref: { column }, value: null }, { op: 'neq', ref: { column }, value: '' });
  }
  for (const f of args.filterBy ?? []) if (f) where.push(filterPredicate(cat, scope, f));
  if (args.space) where.push(filterPredicate(cat, scope, { type: 'ATTRIBUTE', key: 'spaceIds', operator: 'EQUALS', value: args.space }));
  return where;
}

/** Order terms on plain rows: the caller's, else the scope's default. */
export function rowOrder(cat: AttributeCatalog, scope: ScopeDef, orderBy: ResultSetArgs['orderBy']): OrderTerm[] {
  const given = (orderBy ?? []).filter((o): o is OrderArg => o !== null);
  const terms: { key: string; subpath?: string; direction: 'ASC' | 'DESC' }[] =
    given.length > 0 ? given.map((o) => ({ ...keyOf(o, 'orderBy'), direction: o.direction ?? 'ASC' })) : scope.defaultOrder;
  return terms.map((o) => {
    const def = cat.attribute(scope.scope, o.key);
    if (def.type === 'STRING_MAP' && o.subpath === undefined) throw bad(`cannot order by the map ${o.key} without a subpath`);
    return { ref: refOf(cat, def, o.subpath, 'orderBy'), direction: o.direction };
  });
}

/** The query for a `traces` / `spans` / `logEvents`-style result set. */
export function planResultSet(
  cat: AttributeCatalog,
  scopeName: string,
  tenant: string,
  args: ResultSetArgs,
  requested: readonly AttributeRequest[],
  withTotal: boolean,
): Plan {
  const scope = cat.scope(scopeName);
  const { limit, offset } = pageOf(args);
  const where = scopeWhere(cat, scope, args);
  // The id always comes back: it is the `id` field and the key of joins (log events).
  const { select, values } = plannedValues(cat, scope, [{ key: scope.idKey }, ...requested]);
  const orderBy = rowOrder(cat, scope, args.orderBy);
  return { scope, values, query: { view: scope.view, tenant, select, where, orderBy, limit, offset, withTotal } };
}

/** Bound on the log events fetched for one page of spans (the field takes no limit). */
export const MAX_LOG_EVENTS = 100_000;

/** The log events of these spans, oldest first, with the requested attributes. */
export function planLogEvents(
  cat: AttributeCatalog,
  tenant: string,
  spans: readonly { traceId: string; spanId: string }[],
  requested: readonly AttributeRequest[],
): Plan {
  const scope = cat.scope('LOG_EVENT');
  const column = (key: string) => cat.column(cat.attribute(scope.scope, key), 'log events');
  const { select, values } = plannedValues(cat, scope, [{ key: 'traceId' }, { key: 'spanId' }, ...requested]);
  const where: Predicate[] = [
    { op: 'in', ref: { column: column('traceId') }, values: [...new Set(spans.map((s) => s.traceId))] },
    { op: 'in', ref: { column: column('spanId') }, values: [...new Set(spans.map((s) => s.spanId))] },
  ];
  const orderBy = rowOrder(cat, scope, null);
  return { scope, values, query: { view: scope.view, tenant, select, where, orderBy, limit: MAX_LOG_EVENTS } };
}
