// Golden case with a real instrumented application (issue 4 §4): three small Node.js HTTP
// services — shop calls users and inventory; users reads a real redis-server through ioredis,
// inventory queries the real PostgreSQL through pg — each a process traced by the OpenTelemetry
// JS SDK and its auto-instrumentations, exporting OTLP/HTTP protobuf to a running Tessera. What
// enrichment discovered is read back through GraphQL, as a user would see it.
import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startTestNode } from '../helpers/node.ts';
import { startRedis } from '../helpers/redis.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { between, gqlData } from '../helpers/graphql.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE_SCRIPT = fileURLToPath(new URL('../fixtures/instrumented-app/service.cjs', import.meta.url));
const ORDERS = [101, 102, 103];

/** Starts one service process; resolves with its base URL once it listens. */
async function startService(t: Test, env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [SERVICE_SCRIPT], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGTERM'); // the service flushes its spans, then exits
    await exited;
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m !== null) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${env.SERVICE} exited early (${code})`)));
  });
  return `http://127.0.0.1:${port}`;
}

t.test('an app traced by OpenTelemetry auto-instrumentation is enriched into services, templated APIs, backends and edges', { timeout: 120_000 }, async (t) => {
  const node = await startTestNode(t);
  const redis = await startRedis(t);
  const db = await createTestDatabase(t);
  const pgPort = new URL(db.url).port || '5432';
  const otlp = { OTLP_URL: node.otlpHttp };
  const users = await startService(t, { ...otlp, SERVICE: 'users', REDIS_URL: redis.url });
  const inventory = await startService(t, { ...otlp, SERVICE: 'inventory', PG_URL: db.url });
  const shop = await startService(t, { ...otlp, SERVICE: 'shop', USERS_URL: users, INVENTORY_URL: inventory });

  const from = Date.now() - 60_000;
  for (const id of ORDERS) {
    const res = await fetch(`${shop}/orders/${id}`);
    t.equal(res.status, 200, `order ${id} is served`);
  }
  const B = between(from, Date.now() + 3_600_000);
  const q = (query: string) => gqlData(node.graphql, query);

  // Each order is one trace of three API calls (shop, users, inventory). Each span is exported
  // as it ends, so on a busy machine a trace may first be written without its last spans and
  // re-written when they come: wait for the complete picture, then check it.
  const expected = ['inventory GET /stock/{id}', 'shop GET /orders/{id}', 'users GET /users/{id}'].flatMap((a) => ORDERS.map(() => a));
  const readApiTraces = async () => {
    const d = await q(`{ traces(type: API_TRACE, limit: 100, ${B}) { results { service: attribute(expression: {key: "serviceName"}) api: attribute(expression: {key: "apiName"}) } total } }`);
    return d.traces.results as { service: string; api: string }[];
  };
  const apiTraces = await waitFor(async () => {
    const found = await readApiTraces();
    return found.map((a) => `${a.service} ${a.api}`).sort().join('|') === expected.join('|') ? found : undefined;
  }, { timeoutMs: 60_000, what: 'the API traces of every order' }).catch(() => readApiTraces());
  t.same(apiTraces.map((a) => `${a.service} ${a.api}`).sort(), expected, 'one API trace per service per order');
  const traceCount = (await q(`{ traces(type: TRACE, ${B}) { total } }`)).traces.total;
  t.equal(traceCount, ORDERS.length, 'one trace per order');

  const serviceCalls = async () => (await q(`{ entities(scope: "SERVICE", limit: 100, ${B}) { results { name: attribute(expression: {key: "name"})
    services: outgoingEdges(neighborType: SERVICE) { results { calls: metric(expression: {key: "numCalls"}) { sum { value } } neighbor { name: attribute(expression: {key: "name"}) } } }
    backends: outgoingEdges(neighborType: BACKEND) { results { calls: metric(expression: {key: "numCalls"}) { sum { value } } neighbor { name: attribute(expression: {key: "name"}) } } } } } }`)).entities.results as {
    name: string;
    services: { results: { calls: { sum: { value: number } }; neighbor: { name: string } }[] };
    backends: { results: { calls: { sum: { value: number } }; neighbor: { name: string } }[] };
  }[];
  const callCounts = async () => {
    const calls = new Map<string, number>();
    for (const s of await serviceCalls()) {
      for (const e of [...s.services.results, ...s.backends.results]) calls.set(`${s.name} → ${e.neighbor.name}`, e.calls.sum.value);
    }
    return calls;
  };
  const redisCall = `users → 127.0.0.1:${redis.port}`;
  const pgCall = `inventory → 127.0.0.1:${pgPort}`;
  // The backend spans may also come after their trace was first written: wait for every call.
  const calls = await waitFor(async () => {
    const c = await callCounts();
    const complete = c.get('shop → users') === ORDERS.length && c.get('shop → inventory') === ORDERS.length
      && c.get(redisCall) === ORDERS.length && (c.get(pgCall) ?? 0) >= ORDERS.length;
    return complete ? c : undefined;
  }, { timeoutMs: 30_000, what: 'the service calls of every order' }).catch(() => callCounts());
  t.same(Object.fromEntries(calls), {
    'shop → users': ORDERS.length,
    'shop → inventory': ORDERS.length,
    [redisCall]: ORDERS.length,
    [pgCall]: calls.get(pgCall),
  }, 'service-call edges: shop calls both services, each service its backend');
  t.ok((calls.get(pgCall) ?? 0) >= ORDERS.length, 'inventory queries PostgreSQL at least once per order');

  const names = async (scope: string) =>
    ((await q(`{ entities(scope: "${scope}", limit: 100, ${B}) { results { name: attribute(expression: {key: "name"}) } } }`)).entities.results as { name: string }[])
      .map((r) => r.name).sort();
  t.same(await names('SERVICE'), ['inventory', 'shop', 'users'], 'the three services');
  t.same(await names('API'), ['GET /orders/{id}', 'GET /stock/{id}', 'GET /users/{id}'], 'API names with the ids templated');
  const backends = (await q(`{ entities(scope: "BACKEND", limit: 100, ${B}) { results { name: attribute(expression: {key: "name"}) type: attribute(expression: {key: "type"}) } } }`)).entities.results as { name: string; type: string }[];
  t.same(
    backends.map((b) => `${b.type} ${b.name}`).sort(),
    [`JDBC 127.0.0.1:${pgPort}`, `REDIS 127.0.0.1:${redis.port}`],
    'Redis and PostgreSQL, each with its host:port',
  );
});
