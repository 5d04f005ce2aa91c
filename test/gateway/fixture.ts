// A GraphQL endpoint over a real DuckDB store for the gateway tests: the store is filled
// through assembleTrace + buildRowsOf (the write path's own functions) and served by
// buildGraphqlHttpHandler on a loopback port. Everything started is torn down with the test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { pino } from 'pino';
import type { Span } from '../../src/model/span.ts';
import type { ViewStore } from '../../src/store/api.ts';
import { openDuckDbViewStore } from '../../src/store/duckdb/viewStore.ts';
import { assembleTrace } from '../../src/trace/assemble.ts';
import { buildRowsOf } from '../../src/views/rows.ts';
import { createDefaultEnrichment } from '../../src/enrich/defaults.ts';
import { MemoryEntityResolver } from '../../src/enrich/memoryResolver.ts';
import { decodeJaegerUiJson } from '../../src/ingest/jaeger-ui-json.ts';
import { buildGraphqlHttpHandler } from '../../src/gateway/http.ts';

export const HOTROD_ID_64 = '383acc79e53b84da';
export const HOTROD_ID = '0000000000000000383acc79e53b84da';

/** A trace's view rows as a node writes them: the default enrichment over an in-memory resolver. */
export const rowsOf = buildRowsOf(createDefaultEnrichment({ resolver: new MemoryEntityResolver() }));

export function hotrodSpans(tenant = '__default'): Span[] {
  return decodeJaegerUiJson(readFileSync(new URL('../fixtures/hotrod-jaeger-ui.json', import.meta.url)), tenant);
}

export interface Gateway {
  url: string;
  store: ViewStore;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; headers: Headers }>;
  /** One operation's data; fails the caller on any error. */
  data(query: string, headers?: Record<string, string>): Promise<any>;
}

export async function startGateway(t: Test, traces: Span[][], opts: { queryTimeoutMs?: number } = {}): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-gateway-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openDuckDbViewStore({ path: join(dir, 'views.duckdb') });
  t.teardown(() => store.close());
  await store.replaceTraces(await Promise.all(traces.map((spans) => rowsOf(assembleTrace(spans)))));

  const handler = buildGraphqlHttpHandler({ store, defaultTenant: '__default', logger: pino({ level: 'silent' }), queryTimeoutMs: opts.queryTimeoutMs ?? 10_000 });
  t.teardown(() => handler.close());
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, json: await res.json(), headers: res.headers };
  };
  const data = async (query: string, headers: Record<string, string> = {}) => {
    const { json } = await post({ query }, headers);
    if (json.errors) throw new Error(`GraphQL errors: ${JSON.stringify(json.errors)}`);
    return json.data;
  };
  return { url, store, post, data };
}

export const between = (fromMs: number, toMs: number): string =>
  `between: {startTime: "${new Date(fromMs).toISOString()}", endTime: "${new Date(toMs).toISOString()}"}`;
