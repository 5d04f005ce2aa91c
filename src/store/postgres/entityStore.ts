// The PostgreSQL entity store: Hypertrace's document-store role, shared by every node of a
// cluster. One table, `entities`, attributes in jsonb; an upsert is one INSERT … SELECT FROM
// unnest(arrays) … ON CONFLICT (tenant, id) DO UPDATE that merges jsonb with `||` and widens
// the seen range with LEAST/GREATEST — one statement per batch, whatever its size, and
// concurrent upserts of the same entity from several nodes serialize on its row.
import { TesseraError } from '../../errors.ts';
import {
  coalesceWrites,
  validateFilter,
  validateListOptions,
  type EntityFilter,
  type EntityListOptions,
  type EntityStore,
  type EntityType,
  type EntityWrite,
  type StoredEntity,
} from '../entities.ts';
import { createPgPool, migrate, pgError, type PgMigration, type PgPool, type PgPoolOptions } from './pool.ts';

export type PgEntityStoreOptions =
  /** Runs on this pool (shared with the view store); the store never ends it. */
  | { pool: PgPool }
  /** Opens its own pool, ended on close. */
  | PgPoolOptions;

export const ENTITY_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'entities table',
    statements: [
      `CREATE TABLE entities (
  tenant text NOT NULL,
  id uuid NOT NULL,
  type text NOT NULL,
  name text NOT NULL,
  identifying jsonb NOT NULL,
  attributes jsonb NOT NULL,
  first_seen_us bigint NOT NULL,
  last_seen_us bigint NOT NULL,
  PRIMARY KEY (tenant, id)
)`,
      // list(): one tenant and type, in name order, a page at a time.
      'CREATE INDEX entities_by_type_name ON entities (tenant, type, name COLLATE "C", id)',
      // Attribute filters (`attributes @> {...}`).
      'CREATE INDEX entities_attributes ON entities USING gin (attributes jsonb_path_ops)',
    ],
  },
];

const COLUMNS = 'tenant, id::text AS id, type, name, identifying, attributes, first_seen_us::text, last_seen_us::text';

const UPSERT = `INSERT INTO entities AS e (tenant, id, type, name, identifying, attributes, first_seen_us, last_seen_us)
SELECT u.tenant, u.id, u.type, u.name, u.identifying::jsonb, u.attributes::jsonb, u.first_seen_us, u.last_seen_us
FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])
  AS u(tenant, id, type, name, identifying, attributes, first_seen_us, last_seen_us)
ON CONFLICT (tenant, id) DO UPDATE SET
  name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE e.name END,
  attributes = e.attributes || excluded.attributes,
  first_seen_us = LEAST(e.first_seen_us, excluded.first_seen_us),
  last_seen_us = GREATEST(e.last_seen_us, excluded.last_seen_us)
RETURNING ${COLUMNS}`;

interface EntityRow {
  tenant: string;
  id: string;
  type: string;
  name: string;
  identifying: Record<string, string>;
  attributes: Record<string, string>;
  first_seen_us: string;
  last_seen_us: string;
}

const entityOf = (row: EntityRow): StoredEntity => ({
  id: row.id,
  tenant: row.tenant,
  type: row.type as EntityType,
  name: row.name,
  identifying: row.identifying,
  attributes: row.attributes,
  firstSeenUs: Number(row.first_seen_us),
  lastSeenUs: Number(row.last_seen_us),
});

/** PostgreSQL text and jsonb cannot hold U+0000; it becomes U+FFFD (the entity id is unchanged). */
const NUL = /\u0000/g;
const pgText = (s: string): string => (s.includes('\u0000') ? s.replace(NUL, '\uFFFD') : s);
function pgJson(m: Record<string, string>): string {
  const clean: Record<string, string> = {};
  for (const k in m) clean[pgText(k)] = pgText(m[k]);
  return JSON.stringify(clean);
}

/** WHERE conditions after tenant ($1) and type ($2), with their parameters. */
function filterSql(filter: EntityFilter): { sql: string; params: unknown[] } {
  let sql = '';
  const params: unknown[] = [];
  if (filter.attributes !== undefined && Object.keys(filter.attributes).length > 0) {
    params.push(pgJson(filter.attributes));
    sql += ` AND attributes @> $${params.length + 2}::jsonb`;
  }
  if (filter.seenBetween) {
    params.push(filter.seenBetween.fromUs, filter.seenBetween.toUs);
    sql += ` AND last_seen_us >= $${params.length + 1} AND first_seen_us < $${params.length + 2}`;
  }
  return { sql, params };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opens the store and creates or migrates its schema; ready when this resolves. */
export async function openPgEntityStore(opts: PgEntityStoreOptions): Promise<EntityStore> {
  const owned = !('pool' in opts);
  const pool = 'pool' in opts ? opts.pool : createPgPool(opts);
  let closed = false;

  const run = async <R>(what: string, sql: string, params: unknown[]): Promise<R[]> => {
    if (closed) throw new TesseraError('UNAVAILABLE', 'the entity store is closed');
    try {
      return (await pool.query(sql, params)).rows as R[];
    } catch (err) {
      throw pgError(err, what);
    }
  };

  const store: EntityStore = {
    async init(): Promise<void> {
      if (closed) throw new TesseraError('UNAVAILABLE', 'the entity store is closed');
      await migrate(pool, 'entities', ENTITY_MIGRATIONS);
    },

    async upsert(entities: readonly EntityWrite[]): Promise<StoredEntity[]> {
      if (entities.length === 0) return [];
      const { unique, positionOf } = coalesceWrites(entities);
      const rows = await run<EntityRow>('upserting entities', UPSERT, [
        unique.map((w) => pgText(w.tenant)),
        unique.map((w) => w.id),
        unique.map((w) => w.type),
        unique.map((w) => pgText(w.name)),
        unique.map((w) => pgJson(w.identifying)),
        unique.map((w) => pgJson(w.attributes)),
        unique.map((w) => w.firstSeenUs),
        unique.map((w) => w.lastSeenUs),
      ]);
      const byKey = new Map<string, StoredEntity>();
      for (const row of rows) byKey.set(`${row.tenant}\u0000${row.id}`, entityOf(row));
      const stored = unique.map((w) => byKey.get(`${pgText(w.tenant)}\u0000${w.id}`)!);
      return positionOf.map((k) => stored[k]);
    },

    async get(tenant: string, ids: readonly string[]): Promise<Map<string, StoredEntity>> {
      const out = new Map<string, StoredEntity>();
      const wanted = [...new Set(ids)].filter((id) => UUID.test(id));
      if (wanted.length === 0) return out;
      const rows = await run<EntityRow>('reading entities', `SELECT ${COLUMNS} FROM entities WHERE tenant = $1 AND id = ANY($2::uuid[])`, [
        pgText(tenant),
        wanted,
      ]);
      for (const row of rows) out.set(row.id, entityOf(row));
      return out;
    },

    async list(tenant: string, type: EntityType, options: EntityListOptions): Promise<StoredEntity[]> {
      const { limit, offset } = validateListOptions(options);
      const f = filterSql(options);
      const n = f.params.length;
      const sql = `SELECT ${COLUMNS} FROM entities WHERE tenant = $1 AND type = $2${f.sql}
ORDER BY name COLLATE "C", id LIMIT $${n + 3} OFFSET $${n + 4}`;
      const rows = await run<EntityRow>('listing entities', sql, [pgText(tenant), type, ...f.params, limit, offset]);
      return rows.map(entityOf);
    },

    async count(tenant: string, type: EntityType, filter: EntityFilter = {}): Promise<number> {
      validateFilter(filter);
      const f = filterSql(filter);
      const rows = await run<{ n: string }>('counting entities', `SELECT count(*) AS n FROM entities WHERE tenant = $1 AND type = $2${f.sql}`, [
        pgText(tenant),
        type,
        ...f.params,
      ]);
      return Number(rows[0].n);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (owned) await pool.end();
    },
  };
  try {
    await store.init();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
