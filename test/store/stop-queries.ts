// Queries for the tests that stop a running statement (viewstore-stop, store-thread-stop).
import type { ViewQuery } from '../../src/store/query.ts';

export const TENANT = 'acme';

/** Heavy on purpose: a group per span, each with a regex over its tags and a percentile. */
export const heavy: ViewQuery = {
  view: 'spanEventView', tenant: TENANT, select: [],
  where: [{ op: 'regex', ref: { column: 'tags', key: 'http.url' }, pattern: '(a|b)+x?c*$' }],
  groupBy: [{ as: 'id', ref: { column: 'span_id' } }],
  aggregates: [{ as: 'p', fn: 'percentile', ref: { column: 'duration_millis' }, percentile: 99 }, { as: 'n', fn: 'distinctCount', ref: { column: 'event_name' } }],
  orderBy: [{ as: 'p', direction: 'DESC' }],
  limit: 10,
  withTotal: true,
};

/** A quick one, to show a connection still serves. */
export const small: ViewQuery = {
  view: 'spanEventView', tenant: TENANT, select: [], where: [{ op: 'eq', ref: { column: 'span_id' }, value: 's42' }],
  aggregates: [{ as: 'n', fn: 'count' }], limit: 1,
};
