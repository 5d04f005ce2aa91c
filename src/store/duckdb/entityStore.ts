// The DuckDB entity store: the embedded default, in the same database as the views
// (DESIGN §2). One table, `entities`, attributes in MAP(VARCHAR, VARCHAR) so a conflict merges
// with map_concat and a filter reads one key. An upsert is one INSERT … ON CONFLICT over list
// parameters (a statement per batch, whatever its size).
//
// DuckDB must not open one file twice in a process (two instances on one file do not see each
// other's writes), so the store runs on an instance it is given — the view store's — or on the
// process-wide instance cache for a path.
import { DuckDBInstance, listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { TesseraError, asTesseraError } from '../../errors.ts';
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

export type DuckDbEntityStoreOptions =
  /** Runs on this instance; the store opens its own connections and never closes the instance. */
  | { instance: DuckDBInstance }
  /** Runs on the process-wide cached instance for this file (or ':memory:'), released on close. */
  | { path: string };

/** Schema versions, applied in order and recorded in `tessera_migrations`. */
const MIGRATIONS: readonly { version: number; statements: string[] }[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS entities (
  tenant VARCHAR NOT NULL,
  id UUID NOT NULL,
  type VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  identifying MAP(VARCHAR, VARCHAR) NOT NULL,
  attributes MAP(VARCHAR, VARCHAR) NOT NULL,
  first_seen_us BIGINT NOT NULL,
  last_seen_us BIGINT NOT NULL,
  PRIMARY KEY (tenant, id)
)`,
      'CREATE INDEX IF NOT EXISTS entities_by_type ON entities (tenant, type)',
    ],
  },
];
const COMPONENT = 'entities';

const COLUMNS = 'tenant, id::VARCHAR AS id, type, name, identifying, attributes, first_seen_us, last_seen_us';

const UPSERT = `INSERT INTO entities AS e
SELECT tenant, id::UUID, type, name,
  json_transform(identifying, '"MAP(VARCHAR, VARCHAR)"'), json_transform(attributes, '"MAP(VARCHAR, VARCHAR)"'),
  first_seen_us, last_seen_us
FROM (SELECT unnest($1::VARCHAR[]) AS tenant, unnest($2::VARCHAR[]) AS id, unnest($3::VARCHAR[]) AS type,
  unnest($4::VARCHAR[]) AS name, unnest($5::VARCHAR[]) AS identifying, unnest($6::VARCHAR[]) AS attributes,
  unnest($7::BIGINT[]) AS first_seen_us, unnest($8::BIGINT[]) AS last_seen_us)
ON CONFLICT (tenant, id) DO UPDATE SET
  name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE e.name END,
  attributes = map_concat(e.attributes, excluded.attributes),
  first_seen_us = least(e.first_seen_us, excluded.first_seen_us),
  last_seen_us = greatest(e.last_seen_us, excluded.last_seen_us)
RETURNING ${COLUMNS}`;

type MapEntries = { key: string; value: string }[];

function mapOf(entries: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of entries as MapEntries) out[key] = value;
  return out;
}

function entityOf(row: Record<string, unknown>): StoredEntity {
  return {
    id: String(row.id),
    tenant: String(row.tenant),
    type: String(row.type) as EntityType,
    name: String(row.name),
    identifying: mapOf(row.identifying),
    attributes: mapOf(row.attributes),
    firstSeenUs: Number(row.first_seen_us),
    lastSeenUs: Number(row.last_seen_us),
  };
}

/** WHERE conditions (after tenant and type, which take $1 and $2) for a filter, with their parameters. */
function filterSql(filter: EntityFilter): { sql: string; params: DuckDBValue[] } {
  let sql = '';
  const params: DuckDBValue[] = [];
  for (const [key, value] of Object.entries(filter.attributes ?? {})) {
    params.push(key, value);
    sql += ` AND attributes[$${params.length + 1}] = $${params.length + 2}`;
  }
  if (filter.seenBetween) {
    params.push(BigInt(filter.seenBetween.fromUs), BigInt(filter.seenBetween.toUs));
    sql += ` AND last_seen_us >= $${params.length + 1} AND first_seen_us < $${params.length + 2}`;
  }
  return { sql, params };
}

/** Statements on one connection run one after the other. */
function serializer(): <T>(fn: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };
}

async function migrate(conn: DuckDBConnection): Promise<void> {
  await conn.run('CREATE TABLE IF NOT EXISTS tessera_migrations (component VARCHAR NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))');
  const applied = await conn.runAndReadAll('SELECT max(version) FROM tessera_migrations WHERE component = $1', [COMPONENT]);
  const current = Number(applied.getRows()[0][0] ?? 0);
  const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
  if (current > latest) {
    throw new TesseraError('CONFIG', `the DuckDB entity schema is at version ${current}, newer than this build knows (${latest})`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const sql of m.statements) await conn.run(sql);
      await conn.run('INSERT INTO tessera_migrations VALUES ($1, $2)', [COMPONENT, m.version]);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

/** Opens the store on a shared instance; it is ready (table created or migrated) when this resolves. */
export async function openDuckDbEntityStore(opts: DuckDbEntityStoreOptions): Promise<EntityStore> {
  const owned = 'path' in opts;
  const instance = owned ? await DuckDBInstance.fromCache(opts.path) : opts.instance;
  const writer = await instance.connect();
  const reader = await instance.connect();
  const write = serializer();
  const read = serializer();
  let closed = false;

  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new TesseraError('UNAVAILABLE', 'the entity store is closed');
    try {
      return await fn();
    } catch (err) {
      throw asTesseraError(err);
    }
  };

  const store: EntityStore = {
    init: () => guard(() => write(() => migrate(writer))),

    async upsert(entities: readonly EntityWrite[]): Promise<StoredEntity[]> {
      if (entities.length === 0) return [];
      const { unique, positionOf } = coalesceWrites(entities);
      const col = <T extends DuckDBValue>(f: (w: EntityWrite) => T) => listValue(unique.map(f));
      const params = [
        col((w) => w.tenant),
        col((w) => w.id),
        col((w) => w.type),
        col((w) => w.name),
        col((w) => JSON.stringify(w.identifying)),
        col((w) => JSON.stringify(w.attributes)),
        col((w) => BigInt(w.firstSeenUs)),
        col((w) => BigInt(w.lastSeenUs)),
      ];
      const rows = await guard(() => write(() => writer.runAndReadAll(UPSERT, params)));
      const byKey = new Map<string, StoredEntity>();
      for (const row of rows.getRowObjectsJS()) {
        const e = entityOf(row);
        byKey.set(`${e.tenant}\u0000${e.id}`, e);
      }
      const stored = unique.map((w) => byKey.get(`${w.tenant}\u0000${w.id}`)!);
      return positionOf.map((k) => stored[k]);
    },

    async get(tenant: string, ids: readonly string[]): Promise<Map<string, StoredEntity>> {
      const out = new Map<string, StoredEntity>();
      // Not a UUID: no entity can have it (and DuckDB would refuse the cast).
      const wanted = [...new Set(ids)].filter((id) => UUID.test(id));
      if (wanted.length === 0) return out;
      const rows = await guard(() =>
        read(() => reader.runAndReadAll(`SELECT ${COLUMNS} FROM entities WHERE tenant = $1 AND id IN (SELECT unnest($2::UUID[]))`, [tenant, listValue(wanted)])),
      );
      for (const row of rows.getRowObjectsJS()) {
        const e = entityOf(row);
        out.set(e.id, e);
      }
      return out;
    },

    async list(tenant: string, type: EntityType, options: EntityListOptions): Promise<StoredEntity[]> {
      const { limit, offset } = validateListOptions(options);
      const f = filterSql(options);
      const n = f.params.length;
      const sql = `SELECT ${COLUMNS} FROM entities WHERE tenant = $1 AND type = $2${f.sql} ORDER BY name, id LIMIT $${n + 3} OFFSET $${n + 4}`;
      const rows = await guard(() => read(() => reader.runAndReadAll(sql, [tenant, type, ...f.params, limit, offset])));
      return rows.getRowObjectsJS().map(entityOf);
    },

    async count(tenant: string, type: EntityType, filter: EntityFilter = {}): Promise<number> {
      validateFilter(filter);
      const f = filterSql(filter);
      const sql = `SELECT count(*) FROM entities WHERE tenant = $1 AND type = $2${f.sql}`;
      const rows = await guard(() => read(() => reader.runAndReadAll(sql, [tenant, type, ...f.params])));
      return Number(rows.getRows()[0][0]);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await write(async () => undefined);
      await read(async () => undefined);
      writer.closeSync();
      reader.closeSync();
      if (owned) instance.closeSync();
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
