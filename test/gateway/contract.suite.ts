// The gateway's GraphQL contract as one suite every ViewStore adapter runs: a function taking
// a store factory and registering the same subtests (the Zipkin-TCK pattern). Each root field
// and semantic rule of reference/hypertrace-query.md §1–§5, on the HotROD fixture and on a
// seeded loadgen data set, with answers computed in the test from the rows written.
import type { Test } from 'tap';
import { entityContract } from './contract.entities.ts';
import type { ContractFactory } from './contract.harness.ts';
import { queryContract } from './contract.queries.ts';
import { safetyContract } from './contract.safety.ts';
import { hotrodDataSet, loadgenDataSet, type DataSet } from './seed.ts';

export type { ContractFactory, ContractStores } from './contract.harness.ts';

/** Data sets are built once per run: enrichment is the slow part, and the rows never change. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

export function gatewayContract(t: Test, name: string, factory: ContractFactory): void {
  const hotrods = new Map<string, () => Promise<DataSet>>();
  const hotrod = (tenant = '__default') => {
    let get = hotrods.get(tenant);
    if (!get) hotrods.set(tenant, (get = once(() => hotrodDataSet(tenant))));
    return get();
  };
  const seeded = once(() => loadgenDataSet('__default', 400, { seed: 11 }));
  t.test(`${name}: the gateway contract`, async (t) => {
    queryContract(t, factory, { hotrod, seeded });
    entityContract(t, factory, { hotrod, seeded });
    safetyContract(t, factory, { hotrod });
  });
}
