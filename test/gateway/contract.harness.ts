// The gateway contract suite's harness: a store pair from the adapter's factory, filled with
// data sets, and the GraphQL executor over it (in-process; the HTTP edge has its own tests).
import type { Test } from 'tap';
import { pino } from 'pino';
import { buildGraphqlExecutor } from '../../src/gateway/http.ts';
import type { ViewStore } from '../../src/store/api.ts';
import type { EntityStore } from '../../src/store/entities.ts';
import type { DataSet } from './seed.ts';

export interface ContractStores {
  store: ViewStore;
  /** Optional: the entity-store tests skip themselves without one. */
  entities?: EntityStore;
}

/** Opens an empty store pair for one test (and registers its teardown on `t`). */
export type ContractFactory = (t: Test) => Promise<ContractStores>;

export interface Answer {
  data?: Record<string, any>;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface Contract extends ContractStores {
  /** One operation's full answer. */
  run(query: string, tenant?: string): Promise<Answer>;
  /** One operation's data; throws on any error. */
  data(query: string, tenant?: string): Promise<Record<string, any>>;
  /** The code of the first error of an operation that must fail. */
  code(query: string, tenant?: string): Promise<string | undefined>;
}

export interface ContractOptions {
  queryTimeoutMs?: number;
  /** Wraps the store the gateway sees (spies, stalls). */
  wrap?: (store: ViewStore) => ViewStore;
  /** Leave the entity store out even when the factory has one. */
  withoutEntities?: boolean;
}

export async function startContract(t: Test, factory: ContractFactory, sets: readonly DataSet[], opts: ContractOptions = {}): Promise<Contract> {
  const stores = await factory(t);
  for (const d of sets) {
    await stores.store.replaceTraces(d.rows);
    if (stores.entities && d.entities.length > 0) await stores.entities.upsert(d.entities);
  }
  const entities = opts.withoutEntities ? undefined : stores.entities;
  const run = buildGraphqlExecutor({
    store: opts.wrap ? opts.wrap(stores.store) : stores.store,
    ...(entities ? { entities } : {}),
    defaultTenant: '__default',
    logger: pino({ level: 'silent' }),
    queryTimeoutMs: opts.queryTimeoutMs ?? 20_000,
  });
  t.teardown(() => run.close());
  const exec = async (query: string, tenant = '__default') => (await run({ query }, tenant, 'POST')) as Answer;
  return {
    ...stores,
    run: exec,
    async data(query, tenant) {
      const r = await exec(query, tenant);
      if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
      return r.data!;
    },
    async code(query, tenant) {
      const r = await exec(query, tenant);
      return r.errors?.[0]?.extensions?.code;
    },
  };
}
