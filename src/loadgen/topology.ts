// The synthetic application the load generator pretends to be: N services, each with a few
// APIs, calling each other over HTTP and gRPC and calling backends (SQL, Redis, MongoDB,
// Kafka, RabbitMQ, an external HTTP API). Built once from the seed, then every trace is a walk
// over it. Services only call services with a higher index, so the call graph is a DAG.

import { Rng } from './rng.ts';

/** Which attribute vocabulary a service's instrumentation speaks. */
export type Convention = 'semconv-old' | 'semconv-new' | 'opentracing';
export type Language = 'java' | 'go' | 'nodejs' | 'python' | 'dotnet';
export type BackendKind = 'postgresql' | 'mysql' | 'redis' | 'mongodb' | 'kafka' | 'rabbitmq' | 'external-http';

export interface ServiceModel {
  index: number;
  name: string;
  language: Language;
  convention: Convention;
  protocol: 'http' | 'grpc';
  /** 'route': server spans carry http.route and are named by it; 'raw': raw paths with ids. */
  routeStyle: 'route' | 'raw';
  /** gRPC package-qualified service name, e.g. `shop.CartService`. */
  grpcService: string;
  host: string;
  ipv4: string;
  port: number;
  apis: ApiModel[];
  backends: BackendModel[];
}

export interface ApiModel {
  service: ServiceModel;
  /** HTTP method, or '' for gRPC. */
  method: string;
  /** HTTP route template (`/api/users/{id}`) or gRPC method name (`GetUser`). */
  route: string;
  /** The route has an `{id}` placeholder filled per call. */
  hasId: boolean;
  /** Median self time (µs) and log-normal shape. */
  selfMedianUs: number;
  sigma: number;
  calls: CallModel[];
}

export type CallModel =
  | { type: 'service'; api: ApiModel; probability: number; parallel: boolean }
  | { type: 'backend'; backend: BackendModel; op: BackendOp; probability: number; repeat: number; parallel: boolean };

export interface BackendOp {
  /** SQL verb, Redis command, Mongo operation, messaging operation or HTTP method. */
  operation: string;
  /** SQL table, Redis key prefix, Mongo collection, topic / exchange, or HTTP path. */
  target: string;
  /** Full statement template (SQL) where one exists. */
  statement: string;
}

export interface BackendModel {
  kind: BackendKind;
  /** Logical name: database name, topic, exchange, or remote API name. */
  name: string;
  host: string;
  port: number;
  medianUs: number;
  /** For Kafka / RabbitMQ: the API of the service that consumes what is produced, if any. */
  consumer: ApiModel | null;
}

export interface Topology {
  services: ServiceModel[];
  backends: BackendModel[];
}

export interface TopologyOptions {
  services: number;
  apisPerService: number;
}

interface Archetype {
  name: string;
  noun: string;
  protocol: 'http' | 'grpc';
}

const ARCHETYPES: Archetype[] = [
  { name: 'frontend', noun: 'page', protocol: 'http' },
  { name: 'checkout', noun: 'order', protocol: 'grpc' },
  { name: 'catalog', noun: 'product', protocol: 'http' },
  { name: 'cart', noun: 'cart', protocol: 'grpc' },
  { name: 'users', noun: 'user', protocol: 'http' },
  { name: 'payment', noun: 'payment', protocol: 'grpc' },
  { name: 'shipping', noun: 'shipment', protocol: 'http' },
  { name: 'inventory', noun: 'item', protocol: 'grpc' },
  { name: 'recommendation', noun: 'recommendation', protocol: 'grpc' },
  { name: 'notification', noun: 'notification', protocol: 'http' },
  { name: 'search', noun: 'result', protocol: 'http' },
  { name: 'currency', noun: 'rate', protocol: 'grpc' },
];

const LANGUAGES: Language[] = ['java', 'go', 'nodejs', 'python', 'dotnet'];
const CONVENTIONS: Convention[] = ['semconv-new', 'semconv-old', 'semconv-new', 'opentracing'];

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function buildBackends(rng: Rng): BackendModel[] {
  const make = (kind: BackendKind, name: string, host: string, port: number, medianUs: number): BackendModel => ({
    kind, name, host, port, medianUs: Math.round(medianUs * (0.7 + 0.6 * rng.float())), consumer: null,
  });
  return [
    make('postgresql', 'orders', 'orders-db.data.svc.cluster.local', 5432, 2_500),
    make('mysql', 'accounts', 'accounts-mysql.data', 3306, 1_800),
    make('redis', '0', 'cache.redis.internal', 6379, 300),
    make('mongodb', 'catalog', 'catalog-mongo.data', 27017, 1_500),
    make('kafka', 'order-events', 'kafka-0.kafka.internal', 9092, 900),
    make('rabbitmq', 'notifications', 'rabbitmq.internal', 5672, 700),
    make('external-http', 'api.payments.example.com', 'api.payments.example.com', 443, 45_000),
  ];
}

function buildService(rng: Rng, index: number): ServiceModel {
  const arch = ARCHETYPES[index % ARCHETYPES.length];
  const round = Math.floor(index / ARCHETYPES.length);
  const name = round === 0 ? arch.name : `${arch.name}-${round + 1}`;
  // The entry service is always HTTP; the rest alternate so both protocols always appear.
  const protocol = index === 0 ? 'http' : arch.protocol;
  return {
    index,
    name,
    language: LANGUAGES[(index + rng.int(LANGUAGES.length)) % LANGUAGES.length],
    // The first four services cover every convention; later ones draw at random.
    convention: index < CONVENTIONS.length ? CONVENTIONS[index] : rng.pick(CONVENTIONS),
    protocol,
    routeStyle: index % 3 === 2 || (index > 5 && rng.chance(0.3)) ? 'raw' : 'route',
    grpcService: `shop.${capital(arch.noun)}Service`,
    host: `${name}.shop.svc.cluster.local`,
    ipv4: `10.0.${Math.floor(index / 200)}.${(index % 200) + 10}`,
    port: protocol === 'grpc' ? 50051 : 8080,
    apis: [],
    backends: [],
  };
}

function buildApis(rng: Rng, svc: ServiceModel, count: number): void {
  const noun = ARCHETYPES[svc.index % ARCHETYPES.length].noun;
  const httpShapes: Array<[string, string, boolean]> = [
    ['GET', `/api/${noun}s/{id}`, true],
    ['GET', `/api/${noun}s`, false],
    ['POST', `/api/${noun}s`, false],
    ['PUT', `/api/${noun}s/{id}`, true],
    ['DELETE', `/api/${noun}s/{id}`, true],
    ['GET', `/api/${noun}s/{id}/history`, true],
  ];
  const grpcShapes = ['Get', 'List', 'Create', 'Update', 'Delete', 'Watch'];
  for (let i = 0; i < count; i++) {
    const [method, route, hasId] =
      svc.protocol === 'http'
        ? httpShapes[i % httpShapes.length]
        : ['', `${grpcShapes[i % grpcShapes.length]}${capital(noun)}${i % grpcShapes.length === 1 ? 's' : ''}`, false];
    svc.apis.push({
      service: svc, method, route, hasId,
      selfMedianUs: Math.round(200 + rng.float() * 3_000),
      sigma: 0.35 + rng.float() * 0.5,
      calls: [],
    });
  }
}

function backendOps(b: BackendModel, noun: string): BackendOp[] {
  switch (b.kind) {
    case 'postgresql':
    case 'mysql':
      return [
        { operation: 'SELECT', target: `${noun}s`, statement: `SELECT id, status, updated_at FROM ${noun}s WHERE id = ?` },
        { operation: 'INSERT', target: `${noun}s`, statement: `INSERT INTO ${noun}s (id, status, payload) VALUES (?, ?, ?)` },
        { operation: 'UPDATE', target: `${noun}s`, statement: `UPDATE ${noun}s SET status = ? WHERE id = ?` },
      ];
    case 'redis':
      return [
        { operation: 'GET', target: `${noun}:`, statement: 'GET' },
        { operation: 'SET', target: `${noun}:`, statement: 'SET' },
        { operation: 'HGETALL', target: `${noun}:`, statement: 'HGETALL' },
      ];
    case 'mongodb':
      return [
        { operation: 'find', target: `${noun}s`, statement: '' },
        { operation: 'insert', target: `${noun}s`, statement: '' },
      ];
    case 'kafka':
    case 'rabbitmq':
      return [{ operation: 'publish', target: b.name, statement: '' }];
    case 'external-http':
      return [
        { operation: 'POST', target: '/v1/charges', statement: '' },
        { operation: 'GET', target: '/v1/charges/{id}', statement: '' },
      ];
  }
}

function wireCalls(rng: Rng, topo: Topology): void {
  const { services } = topo;
  for (const svc of services) {
    const noun = ARCHETYPES[svc.index % ARCHETYPES.length].noun;
    // Every service uses one to three backends; the entry service only a cache.
    const pool = topo.backends.filter((b) => (b.kind !== 'kafka' && b.kind !== 'rabbitmq') || svc.index > 0);
    const wanted = svc.index === 0 ? 1 : rng.between(1, 3);
    while (svc.backends.length < wanted) {
      const b = svc.index === 0 ? topo.backends[2] : rng.pick(pool);
      if (!svc.backends.includes(b)) svc.backends.push(b);
    }
    const downstream = services.slice(svc.index + 1);
    for (const api of svc.apis) {
      const serviceCalls = downstream.length === 0 ? 0 : svc.index === 0 ? rng.between(2, 3) : rng.between(0, 2);
      for (let i = 0; i < serviceCalls; i++) {
        // Prefer near neighbours so chains get deep rather than every service calling the last.
        const target = downstream[Math.min(downstream.length - 1, Math.floor(Math.abs(rng.normal()) * 2))];
        api.calls.push({
          type: 'service', api: rng.pick(target.apis),
          probability: 0.75 + 0.25 * rng.float(), parallel: rng.chance(0.25),
        });
      }
      const backendCalls = rng.between(svc.index === 0 ? 0 : 1, 2);
      for (let i = 0; i < backendCalls; i++) {
        const backend = rng.pick(svc.backends);
        api.calls.push({
          type: 'backend', backend, op: rng.pick(backendOps(backend, noun)),
          probability: 0.7 + 0.3 * rng.float(),
          repeat: backend.kind === 'redis' ? rng.between(1, 3) : 1,
          parallel: rng.chance(0.2),
        });
      }
      // Interleave service and backend calls the way code does: fetch, call, write.
      for (let i = api.calls.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [api.calls[i], api.calls[j]] = [api.calls[j], api.calls[i]];
      }
    }
  }
  // A queue is consumed by some service later in the graph than its first producer.
  for (const b of topo.backends) {
    if (b.kind !== 'kafka' && b.kind !== 'rabbitmq') continue;
    const producers = services.filter((s) => s.backends.includes(b));
    const first = producers.length === 0 ? services.length : Math.min(...producers.map((s) => s.index));
    const consumers = services.slice(first + 1);
    if (consumers.length > 0) b.consumer = rng.pick(rng.pick(consumers).apis);
  }
}

export function buildTopology(seed: number | string, opts: TopologyOptions): Topology {
  const rng = new Rng(`topology:${seed}`);
  const services: ServiceModel[] = [];
  for (let i = 0; i < opts.services; i++) {
    const svc = buildService(rng, i);
    buildApis(rng, svc, i === 0 ? Math.max(2, opts.apisPerService) : rng.between(Math.max(1, opts.apisPerService - 1), opts.apisPerService + 1));
    services.push(svc);
  }
  const topo: Topology = { services, backends: buildBackends(rng) };
  wireCalls(rng, topo);
  return topo;
}
