// The attribute shapes the generator emits, in every vocabulary it speaks, must resolve to
// the right first-class fields through Tessera's OTLP decoder and normalizer. Expected values
// come from the topology model that produced each span, never from its attributes.

import t from 'tap';
import { decodeOtlpProto } from '../../src/ingest/otlp-proto.ts';
import { resourceOf } from '../../src/loadgen/decor.ts';
import { encodeOtlpProto } from '../../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../../src/loadgen/generator.ts';
import type { GenSpan } from '../../src/loadgen/model.ts';
import { Rng } from '../../src/loadgen/rng.ts';
import { backendClient, consumerSpan } from '../../src/loadgen/semconv-backend.ts';
import { grpcClient, grpcServer, httpClient, httpServer, pathOf, type SpanShape } from '../../src/loadgen/semconv-rpc.ts';
import { type Convention, type ServiceModel, buildTopology } from '../../src/loadgen/topology.ts';
import type { Span } from '../../src/model/span.ts';
import { type FirstClassFields, resolveFirstClass } from '../../src/normalize/index.ts';

type Expect = Partial<Record<keyof FirstClassFields, unknown>>;
interface Case {
  what: string;
  span: GenSpan;
  expect: Expect;
}

const CONVENTIONS: Convention[] = ['semconv-old', 'semconv-new', 'opentracing'];
const ID = '4711';

function cases(conv: Convention, routeStyle: 'route' | 'raw'): Case[] {
  const topo = buildTopology(`normalize-${conv}-${routeStyle}`, { services: 12, apisPerService: 3 });
  for (const s of topo.services) {
    s.convention = conv;
    s.routeStyle = routeStyle;
  }
  const rng = new Rng(1);
  const resources = topo.services.map((s) => resourceOf(s, rng));
  let n = 0;
  const out: Case[] = [];
  const add = (what: string, svc: ServiceModel, shape: SpanShape, failed: boolean, expect: Expect): void => {
    n++;
    out.push({
      what: `${conv}/${routeStyle} ${what}`,
      expect,
      span: {
        traceId: '0af7651916cd43dd8448eb211c80319c', spanId: n.toString(16).padStart(16, '0'), parentSpanId: '',
        name: shape.name, kind: shape.kind, startUs: 1_750_000_000_000_000 + n, endUs: 1_750_000_000_001_000 + n,
        statusCode: failed ? 2 : 0, statusMessage: '', attributes: shape.attributes, events: [],
        resource: resources[svc.index], remoteService: shape.remoteService,
      },
    });
  };
  const caller = topo.services[0];
  for (const svc of topo.services) {
    for (const api of svc.apis) {
      if (svc.protocol === 'http') {
        const path = pathOf(api, ID);
        const route = routeStyle === 'route' && conv !== 'opentracing' ? api.route : '';
        add(`HTTP server ${api.method} ${api.route}`, svc, httpServer(api, caller, ID, 503, true), true,
          { protocol: 'HTTP', callSide: 'server', httpMethod: api.method, httpPath: path, httpStatusCode: 503, httpRoute: route, isError: true });
        add(`HTTP client ${api.method} ${api.route}`, caller, httpClient(caller, api, ID, 200, false), false,
          { protocol: 'HTTP', callSide: 'client', httpMethod: api.method, httpUrl: `http://${svc.host}:${svc.port}${path}`, httpStatusCode: 200, isError: false });
      } else {
        const grpcFields: Expect = conv === 'opentracing'
          ? { rpcOperation: `/${svc.grpcService}/${api.route}` }
          : { rpcService: svc.grpcService, rpcMethod: api.route, grpcEndpoint: `${svc.grpcService}.${api.route}` };
        add(`gRPC server ${api.route}`, svc, grpcServer(api, caller, 14), true, { protocol: 'GRPC', grpcStatusCode: 14, ...grpcFields });
        add(`gRPC client ${api.route}`, caller, grpcClient(caller, api, 0), false, { protocol: 'GRPC', grpcStatusCode: 0, ...grpcFields });
      }
    }
    for (const b of topo.backends) {
      for (const op of b.kind === 'external-http' ? [{ operation: 'POST', target: '/v1/charges/{id}', statement: '' }] : opsOf(topo, b)) {
        const shape = backendClient(svc, b, op, ID, 201);
        const what = `${b.kind} ${op.operation}`;
        switch (b.kind) {
          case 'postgresql':
          case 'mysql':
            add(what, svc, shape, false, { protocol: 'JDBC', isSqlBackend: true, dbSystem: b.kind, dbStatement: op.statement, dbOperation: op.operation });
            break;
          case 'redis':
            add(what, svc, shape, false, { protocol: 'REDIS', dbOperation: op.operation, dbUri: { system: 'REDIS', uri: `${b.host}:${b.port}` } });
            break;
          case 'mongodb':
            add(what, svc, shape, false, { protocol: 'MONGO', dbOperation: op.operation, dbDestination: `${b.name}.${op.target}` });
            break;
          case 'kafka':
            add(what, svc, shape, false, {
              protocol: 'KAFKA', messagingUri: { system: 'KAFKA', uri: `${b.host}:${b.port}` },
              ...(conv === 'opentracing' ? {} : { messagingSystem: 'kafka', messagingDestination: b.name }),
            });
            break;
          case 'rabbitmq':
            add(what, svc, shape, false, { protocol: 'RABBIT_MQ', messagingUri: { system: 'RABBIT_MQ', uri: `${b.name}.created` } });
            break;
          case 'external-http':
            add(what, svc, shape, false, {
              protocol: 'HTTPS', httpMethod: 'POST', httpUrl: `https://${b.host}/v1/charges/${ID}`, httpStatusCode: 201,
            });
            break;
        }
      }
      if ((b.kind === 'kafka' || b.kind === 'rabbitmq') && conv !== 'opentracing') {
        const group = `${svc.name}-group`;
        add(`${b.kind} consumer`, svc, consumerSpan(svc.apis[0], b), false, {
          messagingSystem: b.kind, messagingDestination: b.kind === 'kafka' ? `${group}.${b.name}` : b.name,
        });
      }
    }
  }
  return out;
}

function opsOf(topo: ReturnType<typeof buildTopology>, b: ReturnType<typeof buildTopology>['backends'][number]) {
  const ops = topo.services.flatMap((s) => s.apis.flatMap((a) => a.calls.flatMap((c) => (c.type === 'backend' && c.backend === b ? [c.op] : []))));
  return [...new Map(ops.map((o) => [`${o.operation} ${o.target}`, o])).values()];
}

t.test('the attribute shapes it emits parse through Tessera\'s normalizer', async (t) => {
  const seen = new Set<string>();
  for (const conv of CONVENTIONS) {
    for (const style of ['route', 'raw'] as const) {
      const list = cases(conv, style);
      const decoded = decodeOtlpProto(encodeOtlpProto(list.map((c) => c.span)), 'tenant');
      t.equal(decoded.spans.length, list.length, `${conv}/${style}: every span decodes`);
      const byId = new Map<string, Span>(decoded.spans.map((s) => [s.spanId, s]));
      for (const c of list) {
        const fields = resolveFirstClass(byId.get(c.span.spanId)!);
        for (const [field, want] of Object.entries(c.expect)) {
          const got = fields[field as keyof FirstClassFields];
          if (JSON.stringify(got) !== JSON.stringify(want)) t.fail(`${c.what}: ${field} = ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
        }
        seen.add(`${c.what.split(' ')[1]} ${c.what.split(' ')[2]}`);
      }
    }
  }
  for (const kind of ['HTTP server', 'HTTP client', 'gRPC server', 'gRPC client', 'postgresql', 'mysql', 'redis', 'mongodb', 'kafka', 'rabbitmq', 'external-http']) {
    t.ok([...seen].some((s) => s.startsWith(kind)), `${kind} shapes were checked`);
  }
});

t.test('every span of generated traces resolves to a protocol', async (t) => {
  const gen = new TraceGenerator({ seed: 8, services: 12 });
  const spans = Array.from({ length: 200 }, (_, i) => gen.next(1_750_000_000_000_000 + i)).flatMap((tr) => tr.spans);
  const decoded = decodeOtlpProto(encodeOtlpProto(spans), 'tenant');
  t.equal(decoded.spans.length, spans.length);
  const unknown = decoded.spans.filter((s) => resolveFirstClass(s).protocol === 'UNKNOWN').map((s) => `${s.serviceName}: ${s.name}`);
  // Queue consumers carry no protocol of their own in Hypertrace's scheme; everything else must.
  const unexpected = unknown.filter((name) => !/process/.test(name));
  t.same(unexpected, [], 'no span but a queue consumer is of unknown protocol');
});
