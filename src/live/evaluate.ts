// The dialect-neutral Predicate (src/store/query.ts) evaluated in memory over view rows, with
// the semantics of the SQL renderers (src/store/duckdb/sql.ts): SQL three-valued logic where a
// missing value makes a comparison false, `neq`/`notIn` holding on null, "any element" on
// string arrays, map entries compared as strings, regex as a partial match on the text form.
// A predicate is compiled once per subscription filter set, so every check the renderer makes
// at render time (columns, value types) is made here at compile time, with the same codes.
import { TesseraError } from '../errors.ts';
import type { ViewRow, ViewValue } from '../store/api.ts';
import type { ColumnRef, Predicate, Scalar } from '../store/query.ts';
import { viewNamed, type ColumnDef, type ColumnType, type ViewDef } from '../views/schema.ts';

export type RowTest = (row: ViewRow) => boolean;

type Leaf = Extract<Predicate, { ref: ColumnRef }>;

/** A comparable value: numbers (and bigints) for numeric columns, strings or booleans otherwise. */
type Cell = number | bigint | string | boolean;

const bad = (message: string): TesseraError => new TesseraError('BAD_QUERY', message);
const show = (v: Scalar): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** A filter value as the column compares it (the renderer's `value`), or null. */
function cellOf(type: ColumnType, v: Scalar, what: string): Cell | null {
  if (v === null) return null;
  switch (type) {
    case 'long':
    case 'double': {
      if (typeof v === 'bigint') return type === 'long' ? v : Number(v);
      if (type === 'long' && typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(`${what} needs a number, got ${show(v)}`);
      return n;
    }
    case 'boolean':
      if (v === true || v === 'true') return true;
      if (v === false || v === 'false') return false;
      throw bad(`${what} needs true or false, got ${show(v)}`);
    case 'string':
    case 'string_array':
      return String(v);
    default:
      throw bad(`${what}: a ${type} column cannot be compared with a value`);
  }
}

/** Strings compare by code point, as UTF-8 bytes do (JS `<` compares UTF-16 units). */
function compareStrings(a: string, b: string): number {
  if (!/[\ud800-\udfff]/.test(a) && !/[\ud800-\udfff]/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Total order within one column type; numbers and bigints compare exactly across types. */
function compare(a: Cell, b: Cell): number {
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The key `in` looks values up by: numbers and bigints of equal value share one. */
function memberKey(c: Cell): string {
  if (typeof c === 'bigint') return `n${c}`;
  if (typeof c === 'number') return Number.isInteger(c) ? `n${BigInt(c)}` : `n${c}`;
  return typeof c === 'boolean' ? `b${c}` : `s${c}`;
}

/** A stored value as a cell of its column type, null when missing. */
function storedCell(v: ViewValue | undefined): Cell | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object') return null;
  return v;
}

/** The text `CAST(value AS VARCHAR)` gives (what `regex` matches against). */
function textOf(c: Cell, type: ColumnType): string {
  if (type === 'double' && typeof c === 'number' && Number.isInteger(c)) return `${c}.0`;
  return String(c);
}

class Compiler {
  private readonly columns: Map<string, ColumnDef>;

  constructor(private readonly view: ViewDef) {
    this.columns = new Map(view.columns.map((c) => [c.name, c]));
  }

  private column(name: string): ColumnDef {
    const def = this.columns.get(name);
    if (!def) throw bad(`view ${this.view.name} has no column ${name}`);
    return def;
  }

  private mapColumn(name: string, op: string): ColumnDef {
    const def = this.column(name);
    if (def.type !== 'string_map') throw bad(`${op} needs a map column, ${def.name} is ${def.type}`);
    return def;
  }

  /** A reader for the referenced value and the type it compares as. */
  private ref(ref: ColumnRef): { read: (row: ViewRow) => ViewValue | undefined; type: ColumnType } {
    const def = this.column(ref.column);
    const column = def.name;
    if (ref.key === undefined) return { read: (row) => row[column], type: def.type };
    if (def.type !== 'string_map') throw bad(`column ${def.name} is not a map: it has no key ${ref.key}`);
    const key = ref.key;
    return {
      type: 'string',
      read: (row) => {
        const map = row[column] as Record<string, string> | null | undefined;
        if (map === null || map === undefined || typeof map !== 'object' || !hasOwn(map, key)) return null;
        const v = map[key];
        return v === null || v === undefined ? null : String(v);
      },
    };
  }

  compile(p: Predicate): RowTest {
    switch (p.op) {
      case 'and':
      case 'or': {
        const terms = p.terms.map((t) => this.compile(t));
        if (terms.length === 1) return terms[0];
        return p.op === 'and' ? (row) => terms.every((t) => t(row)) : (row) => terms.some((t) => t(row));
      }
      case 'not': {
        // NOT coalesce(term, false): every compiled test already reads unknown as false.
        const term = this.compile(p.term);
        return (row) => !term(row);
      }
      case 'containsKeyLike': {
        const column = this.mapColumn(p.column, p.op).name;
        const re = compileRegex(p.pattern, `${p.op} on ${column}`);
        return (row) => {
          const map = row[column];
          if (map === null || map === undefined || typeof map !== 'object') return false;
          for (const k in map) if (hasOwn(map, k) && re.test(k)) return true;
          return false;
        };
      }
      case 'containsKey':
      case 'notContainsKey': {
        const { column, key } = { column: this.mapColumn(p.column, p.op).name, key: p.key };
        const has = (row: ViewRow): boolean => {
          const map = row[column];
          return map !== null && map !== undefined && typeof map === 'object' && hasOwn(map, key);
        };
        return p.op === 'containsKey' ? has : (row) => !has(row);
      }
      default: {
        const target = this.ref(p.ref);
        if (target.type === 'string_array') return this.arrayTest(p, target.read);
        if (target.type === 'string_map' || target.type === 'bytes') {
          throw bad(`column ${p.ref.column} (${target.type}) cannot be filtered with ${p.op}`);
        }
        return this.scalarTest(p, target.read, target.type);
      }
    }
  }

  private scalarTest(p: Leaf, read: (row: ViewRow) => ViewValue | undefined, type: ColumnType): RowTest {
    const what = `${p.op} on ${p.ref.column}${p.ref.key === undefined ? '' : `.${p.ref.key}`}`;
    const cell = (row: ViewRow) => storedCell(read(row));
    switch (p.op) {
      case 'eq':
      case 'neq': {
        const want = cellOf(type, p.value, what);
        if (want === null) return p.op === 'eq' ? (row) => cell(row) === null : (row) => cell(row) !== null;
        // Two strings are equal when identical: compare's code-point ordering is not needed.
        const equal = (row: ViewRow): boolean => {
          const c = cell(row);
          return c === want || (c !== null && (typeof c !== 'string' || typeof want !== 'string') && compare(c, want) === 0);
        };
        // IS DISTINCT FROM: a missing value differs from any value.
        return p.op === 'eq' ? equal : (row) => !equal(row);
      }
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        if (p.value === null) throw bad(`${what} needs a value`);
        const want = cellOf(type, p.value, what) as Cell;
        const holds = orderTest(p.op);
        return (row) => {
          const c = cell(row);
          return c !== null && holds(compare(c, want));
        };
      }
      case 'in':
      case 'notIn': {
        const values = p.values.filter((v) => v !== null).map((v) => cellOf(type, v, what) as Cell);
        const hasNull = values.length < p.values.length;
        const keys = new Set(values.map(memberKey));
        const member = (c: Cell | null): boolean => c !== null && keys.has(memberKey(c));
        if (p.op === 'in') return (row) => { const c = cell(row); return member(c) || (hasNull && c === null); };
        return hasNull ? (row) => { const c = cell(row); return c !== null && !member(c); } : (row) => !member(cell(row));
      }
      case 'regex': {
        const re = compileRegex(p.pattern, what);
        return (row) => {
          const c = cell(row);
          return c !== null && re.test(textOf(c, type));
        };
      }
    }
  }

  private arrayTest(p: Leaf, read: (row: ViewRow) => ViewValue | undefined): RowTest {
    const what = `${p.op} on ${p.ref.column}`;
    const list = (row: ViewRow): string[] => {
      const v = read(row);
      return Array.isArray(v) ? v : [];
    };
    switch (p.op) {
      case 'eq':
      case 'neq': {
        const want = cellOf('string', p.value, what);
        const contains = (row: ViewRow): boolean => want !== null && list(row).includes(want as string);
        return p.op === 'eq' ? contains : (row) => !contains(row);
      }
      case 'in':
      case 'notIn': {
        const wanted = new Set(p.values.filter((v) => v !== null).map((v) => String(v)));
        const any = (row: ViewRow): boolean => list(row).some((x) => wanted.has(x));
        return p.op === 'in' ? any : (row) => !any(row);
      }
      case 'regex': {
        const re = compileRegex(p.pattern, what);
        return (row) => list(row).some((x) => x !== null && re.test(x));
      }
      default:
        throw bad(`${what}: a list column supports eq, neq, in, notIn and regex only`);
    }
  }
}

function orderTest(op: 'lt' | 'lte' | 'gt' | 'gte'): (cmp: number) => boolean {
  switch (op) {
    case 'lt':
      return (c) => c < 0;
    case 'lte':
      return (c) => c <= 0;
    case 'gt':
      return (c) => c > 0;
    case 'gte':
      return (c) => c >= 0;
  }
}

function compileRegex(pattern: string, what: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    throw bad(`${what}: ${JSON.stringify(pattern)} is not a regular expression`);
  }
}

/**
 * Compiles predicates (ANDed, as a ViewQuery's `where`) over the rows of one view into one
 * test. Rejects with BAD_QUERY what the SQL renderer would reject.
 */
export function compilePredicates(viewName: string, where: readonly Predicate[]): RowTest {
  const view = viewNamed(viewName);
  if (!view) throw bad(`no view named ${viewName}`);
  const compiler = new Compiler(view);
  const tests = where.map((p) => compiler.compile(p));
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0];
  return (row) => {
    for (const t of tests) if (!t(row)) return false;
    return true;
  };
}
