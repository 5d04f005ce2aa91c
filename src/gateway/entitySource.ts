// The entity store as a source of attribute values (reference §3 "How sources route"):
// values of EDS attributes read off stored entities, filters evaluated on them in memory, and
// the in-memory sort used where an order cannot be pushed down to the view query.
import { TesseraError } from '../errors.ts';
import type { EntityStore, EntityType, StoredEntity } from '../store/entities.ts';
import { MAX_ENTITY_LIST_LIMIT } from '../store/entities.ts';
import type { AttributeDef } from './catalog.ts';
import type { FilterArg } from './planner.ts';
import { filterValue } from './values.ts';

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);

/** The value an entity holds for an EDS attribute (null when it has none). */
export function entityValue(def: AttributeDef, e: StoredEntity): unknown {
  const field = def.entity;
  if (field === undefined) return null;
  const raw = field === 'id' ? e.id : field === 'name' ? e.name : e.attributes[field.attribute];
  if (raw === undefined || raw === '') return null;
  if (def.type === 'BOOLEAN') return raw === 'true';
  if (def.type === 'LONG' || def.type === 'DOUBLE') return Number(raw);
  return raw;
}

/** Orders values the way the SQL stores do: numbers by value, text by code point, nulls last. */
export function compareValues(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const as = String(a);
  const bs = String(b);
  return as < bs ? -1 : as > bs ? 1 : 0;
}

/** Sorts in place by each term (value getter + direction), nulls last in either direction. */
export function sortRows<T>(rows: T[], terms: readonly { get: (row: T) => unknown; direction: 'ASC' | 'DESC' }[]): T[] {
  return rows.sort((x, y) => {
    for (const t of terms) {
      const a = t.get(x);
      const b = t.get(y);
      const nulls = (a === null || a === undefined) !== (b === null || b === undefined);
      const c = compareValues(a, b);
      if (c !== 0) return nulls || t.direction === 'ASC' ? c : -c;
    }
    return 0;
  });
}

/** A filter on an EDS attribute as a test on stored entities. */
export function entityFilter(def: AttributeDef, f: FilterArg): (e: StoredEntity) => boolean {
  const what = `filter ${f.operator} on ${def.key}`;
  const want = (v: unknown) => filterValue({ ...def, format: undefined }, v);
  const list = () => (Array.isArray(f.value) ? f.value : [f.value]).map(want);
  const value = (e: StoredEntity) => entityValue(def, e);
  switch (f.operator) {
    case 'EQUALS': {
      const w = want(f.value);
      return (e) => value(e) === w;
    }
    case 'NOT_EQUALS': {
      const w = want(f.value);
      return (e) => value(e) !== w;
    }
    case 'IN': {
      const ws = new Set(list());
      return (e) => ws.has(value(e) as never);
    }
    case 'NOT_IN': {
      const ws = new Set(list());
      return (e) => !ws.has(value(e) as never);
    }
    case 'LIKE': {
      if (typeof f.value !== 'string') throw bad(`${what}: LIKE takes a regular expression string`);
      let re: RegExp;
      try {
        re = new RegExp(f.value);
      } catch {
        throw bad(`${what}: ${JSON.stringify(f.value)} is not a regular expression`);
      }
      return (e) => {
        const v = value(e);
        return v !== null && re.test(String(v));
      };
    }
    case 'LESS_THAN':
    case 'LESS_THAN_OR_EQUAL_TO':
    case 'GREATER_THAN':
    case 'GREATER_THAN_OR_EQUAL_TO': {
      const w = want(f.value);
      const ok = { LESS_THAN: (c: number) => c < 0, LESS_THAN_OR_EQUAL_TO: (c: number) => c <= 0, GREATER_THAN: (c: number) => c > 0, GREATER_THAN_OR_EQUAL_TO: (c: number) => c >= 0 }[f.operator];
      return (e) => {
        const v = value(e);
        return v !== null && ok(compareValues(v, w));
      };
    }
    default:
      throw bad(`${what}: ${f.operator} does not apply to an entity-store attribute`);
  }
}

/** Every entity of a type (up to the list bound), for anchoring and for EDS filters. */
export async function allEntities(store: EntityStore, tenant: string, type: EntityType): Promise<StoredEntity[]> {
  return store.list(tenant, type, { limit: MAX_ENTITY_LIST_LIMIT });
}
