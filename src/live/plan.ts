// A live subscription planned once, when it starts: its scope, its filters compiled to one
// row test (through the gateway's filterPredicate, so keys, operators and errors are exactly
// the query language's), the attributes its selection reads (checked like a query's), and a
// canonical key: subscriptions of one tenant with equal keys share one evaluation per event.
import { TesseraError } from '../errors.ts';
import type { ViewRow } from '../store/api.ts';
import type { Predicate } from '../store/query.ts';
import type { AttributeCatalog, AttributeDef, ScopeDef } from '../gateway/catalog.ts';
import { plannedValues, scopeWhere, type AttributeRequest, type FilterArg } from '../gateway/planner.ts';
import { outputValue } from '../gateway/values.ts';
import { compilePredicates, type RowTest } from './evaluate.ts';
import { LIVE_SCOPES } from './scopes.ts';

export interface LivePlan {
  scope: ScopeDef;
  /** The view whose rows the scope reads. */
  view: string;
  /** Scope + filters in a canonical form (order and repeats do not matter). */
  key: string;
  /** The scope's implicit filters and the user's filters, ANDed. */
  test: RowTest;
  /** Column of the scope's id attribute. */
  idColumn: string;
}

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);

/** JSON with bigints tagged (filter values on nanosecond times are bigints). */
const canonical = (p: Predicate): string => JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

/**
 * Plans a subscription. Throws what a query with the same filters and selection would throw
 * (BAD_QUERY, UNKNOWN_ATTRIBUTE), so a client hears about it before any event.
 */
export function planLive(
  cat: AttributeCatalog,
  scopeName: string,
  filterBy: readonly (FilterArg | null)[] | null | undefined,
  requested: readonly AttributeRequest[],
): LivePlan {
  if (!LIVE_SCOPES.includes(scopeName)) throw bad(`scope ${scopeName} has no live subscription`);
  const scope = cat.scope(scopeName);
  // The same where a query has, without the time range: implicit scope filters, then filters.
  const where = scopeWhere(cat, scope, { filterBy, between: null });
  // Selections are checked as a query checks them; values no view stores read as null.
  plannedValues(cat, scope, [{ key: scope.idKey }, ...requested]);
  const terms = [...new Set(where.map(canonical))].sort();
  return {
    scope,
    view: scope.view,
    key: `${scope.scope}\u0000${terms.join('\u0000')}`,
    test: compilePredicates(scope.view, where),
    idColumn: cat.column(cat.attribute(scope.scope, scope.idKey), `scope ${scope.scope} id`),
  };
}

/**
 * One event: a row of the scope, shared by every subscriber of the filter set (and by every
 * filter set of the same scope). Attribute values are typed for output once, on first read.
 */
export class LiveRow {
  private values: Map<string, unknown> | undefined;
  private results: Map<string, unknown> | undefined;

  constructor(
    readonly scope: string,
    readonly id: string,
    readonly traceId: string,
    readonly update: boolean,
    readonly writtenAt: number,
    private readonly row: ViewRow,
  ) {}

  /**
   * What `run` gives for this row, computed once per `key`: subscribers sending the same
   * operation share one execution of it.
   */
  shared<R>(key: string, run: (row: LiveRow) => R): R {
    const results = (this.results ??= new Map());
    const cached = results.get(key);
    if (cached !== undefined || results.has(key)) return cached as R;
    const r = run(this);
    results.set(key, r);
    return r;
  }

  value(def: AttributeDef, subpath?: string): unknown {
    const slot = subpath === undefined ? def.key : `${def.key}\u0000${subpath}`;
    const cached = this.values?.get(slot);
    if (cached !== undefined || this.values?.has(slot)) return cached;
    if (!def.source) return null;
    let stored = this.row[def.source.column];
    if (subpath !== undefined) {
      const map = stored as Record<string, string> | null | undefined;
      stored = map !== null && typeof map === 'object' && Object.prototype.hasOwnProperty.call(map, subpath) ? map[subpath] : null;
    }
    const v = outputValue(def, stored, subpath) ?? null;
    (this.values ??= new Map()).set(slot, v);
    return v;
  }
}
