// Turns the topology into traces: one walk from an entry API down the call graph, with
// log-normal latencies, errors that sometimes propagate to the caller, exception and log
// events, and per-service clock skew. Seeded: the same seed and clock give the same traces.

import { exceptionEvent, logEvent, Padding, resourceOf } from './decor.ts';
import { type GenEvent, type GenResource, type GenSpan, type GenTrace, SpanKindCode } from './model.ts';
import { Rng } from './rng.ts';
import { backendClient, consumerSpan } from './semconv-backend.ts';
import { GRPC_ERRORS, GRPC_OK, type SpanShape, grpcClient, grpcServer, httpClient, httpServer } from './semconv-rpc.ts';
import { type ApiModel, type BackendModel, type BackendOp, type ServiceModel, type Topology, buildTopology } from './topology.ts';

export interface GeneratorOptions {
  seed: number | string;
  services: number;
  apisPerService: number;
  /** Longest chain of service-to-service calls in one trace. */
  depth: number;
  /** Attributes per span: shapes with fewer are padded with application attributes. */
  attributes: number;
  /** Probability that one API call or backend call fails by itself. */
  errorRate: number;
  /** Probability that a span carries a log event. */
  eventRate: number;
  /** Multiplies every latency. */
  latencyScale: number;
  /** Largest clock skew (µs) given to about half the services; 0 for none. */
  clockSkewUs: number;
}

export const DEFAULT_GENERATOR: GeneratorOptions = {
  seed: 1, services: 8, apisPerService: 3, depth: 4, attributes: 12,
  errorRate: 0.02, eventRate: 0.05, latencyScale: 1, clockSkewUs: 0,
};

interface CallResult {
  end: number;
  failed: boolean;
  /** HTTP status or gRPC code the callee answered. */
  status: number;
}

const HTTP_ERRORS = [500, 502, 503] as const;

export class TraceGenerator {
  readonly topology: Topology;
  private readonly rng: Rng;
  private readonly opts: GeneratorOptions;
  private readonly resources: GenResource[];
  private readonly skewUs: number[];
  private readonly padding: Padding;
  // Per-trace scratch, reset by begin().
  private spans: GenSpan[] = [];
  private traceId = '';

  constructor(options: Partial<GeneratorOptions> = {}) {
    this.opts = { ...DEFAULT_GENERATOR, ...options };
    this.topology = buildTopology(this.opts.seed, { services: this.opts.services, apisPerService: this.opts.apisPerService });
    const setup = new Rng(`setup:${this.opts.seed}`);
    this.resources = this.topology.services.map((s) => resourceOf(s, setup));
    // Odd services are skewed, each by a fixed offset; its own stream keeps traces unchanged.
    const skew = new Rng(`skew:${this.opts.seed}`);
    this.skewUs = this.topology.services.map((s) =>
      s.index % 2 === 1 ? Math.round((skew.chance(0.5) ? 1 : -1) * this.opts.clockSkewUs * (0.5 + skew.float() / 2)) : 0);
    this.padding = new Padding(setup, Math.max(0, this.opts.attributes));
    this.rng = new Rng(`traces:${this.opts.seed}`);
  }

  /** The clock skew (µs) applied to a service's spans. */
  skewOf(serviceIndex: number): number {
    return this.skewUs[serviceIndex];
  }

  /** The next trace, ending at `nowUs` (spans are exported when they end). */
  next(nowUs: number): GenTrace {
    this.begin();
    const services = this.topology.services;
    const entrySvc = services.length > 1 && this.rng.chance(0.1) ? this.rng.pick(services.slice(1)) : services[0];
    this.entry(this.rng.pick(entrySvc.apis), null, '', 0, 0, null);
    return this.finish(nowUs);
  }

  /** A trace of exactly `spanCount` spans: one API doing `spanCount - 1` cache calls. */
  huge(nowUs: number, spanCount: number): GenTrace {
    this.begin();
    const svc = this.topology.services[0];
    const api = svc.apis[0];
    const cache = svc.backends.find((b) => b.kind === 'redis') ?? svc.backends[0];
    const op: BackendOp = { operation: 'GET', target: 'page:', statement: 'GET' };
    const rootId = this.rng.hex(8);
    let cursor = 50;
    for (let i = 1; i < spanCount; i++) cursor = this.backendCall(svc, cache, op, rootId, cursor).end + 5;
    const status = api.method === 'POST' ? 201 : 200;
    const shape = svc.protocol === 'http' ? httpServer(api, null, '1', status, false) : grpcServer(api, null, GRPC_OK);
    this.push(svc, shape, rootId, '', 0, cursor + 100, 0, '', null);
    return this.finish(nowUs);
  }

  private begin(): void {
    this.spans = [];
    this.traceId = this.rng.hex(16);
  }

  private finish(nowUs: number): GenTrace {
    const spans = this.spans;
    let min = Infinity;
    let max = -Infinity;
    for (const s of spans) {
      if (s.startUs < min) min = s.startUs;
      if (s.endUs > max) max = s.endUs;
    }
    const base = Math.round(nowUs) - max;
    const seen: boolean[] = [];
    for (const s of spans) {
      const shift = base + this.skewUs[s.resource.id];
      s.startUs += shift;
      s.endUs += shift;
      for (const e of s.events) e.timeUs += shift;
      seen[s.resource.id] = true;
    }
    const services: string[] = [];
    seen.forEach((on, i) => on && services.push(this.topology.services[i].name));
    services.sort();
    return { traceId: this.traceId, spans, services, startUs: min + base, endUs: max + base };
  }

  private lat(medianUs: number, sigma: number): number {
    return Math.max(1, Math.round(this.rng.logNormal(medianUs * this.opts.latencyScale, sigma)));
  }

  /** An API invocation in its service: the entry span, its calls, in post-order. */
  private entry(api: ApiModel, caller: ServiceModel | null, parentId: string, start: number, depth: number,
    consumedFrom: BackendModel | null): CallResult {
    const rng = this.rng;
    const svc = api.service;
    const spanId = rng.hex(8);
    const id = api.hasId ? String(rng.between(1000, 99_999)) : '';
    let cursor = start + this.lat(api.selfMedianUs * 0.3, api.sigma);
    let lastBegin = cursor;
    let childFailed = false;
    for (const call of api.calls) {
      if (!rng.chance(call.probability)) continue;
      if (call.type === 'service' && depth + 1 >= this.opts.depth) continue;
      const times = call.type === 'backend' ? call.repeat : 1;
      for (let r = 0; r < times; r++) {
        const begin = call.parallel && r === 0 ? lastBegin : cursor;
        const res = call.type === 'service'
          ? this.serviceCall(svc, call.api, spanId, begin, depth)
          : this.backendCall(svc, call.backend, call.op, spanId, begin, depth);
        if (res.failed) childFailed = true;
        lastBegin = begin;
        if (res.end > cursor) cursor = res.end;
      }
    }
    const ownFail = rng.chance(this.opts.errorRate);
    const failed = ownFail || (childFailed && rng.chance(0.5));
    const end = cursor + this.lat(api.selfMedianUs * 0.7, api.sigma);
    let shape: SpanShape;
    let status: number;
    if (consumedFrom !== null) {
      shape = consumerSpan(api, consumedFrom);
      status = 0;
    } else if (svc.protocol === 'http') {
      status = failed ? rng.pick(HTTP_ERRORS) : api.method === 'POST' ? 201 : 200;
      shape = httpServer(api, caller, id, status, failed);
    } else {
      status = failed ? rng.pick(GRPC_ERRORS) : GRPC_OK;
      shape = grpcServer(api, caller, status);
    }
    this.push(svc, shape, spanId, parentId, start, end, failed ? 2 : 0, '', ownFail ? svc : null);
    return { end, failed, status };
  }

  private serviceCall(caller: ServiceModel, api: ApiModel, parentId: string, begin: number, depth: number): CallResult {
    const spanId = this.rng.hex(8);
    const res = this.entry(api, caller, spanId, begin + this.lat(250, 0.5), depth + 1, null);
    const end = res.end + this.lat(250, 0.5);
    const shape = api.service.protocol === 'http'
      ? httpClient(caller, api, String(this.rng.between(1000, 99_999)), res.status, res.failed)
      : grpcClient(caller, api, res.status);
    this.push(caller, shape, spanId, parentId, begin, end, res.failed ? 2 : 0, '', null);
    return { end, failed: res.failed, status: res.status };
  }

  private backendCall(svc: ServiceModel, b: BackendModel, op: BackendOp, parentId: string, begin: number, depth = 0): CallResult {
    const rng = this.rng;
    const spanId = rng.hex(8);
    const failed = rng.chance(this.opts.errorRate / 2);
    const end = begin + this.lat(b.medianUs, 0.6);
    const status = failed ? 503 : op.operation === 'POST' ? 201 : 200;
    const shape = backendClient(svc, b, op, String(rng.between(1000, 99_999)), status);
    this.push(svc, shape, spanId, parentId, begin, end, failed ? 2 : 0, '', failed ? svc : null);
    if (b.consumer !== null && depth + 1 < this.opts.depth) {
      this.entry(b.consumer, null, spanId, end + this.lat(5_000, 0.8), depth + 1, b);
    }
    return { end, failed, status };
  }

  private push(svc: ServiceModel, shape: SpanShape, spanId: string, parentId: string, start: number, end: number,
    statusCode: 0 | 1 | 2, statusMessage: string, exceptionIn: ServiceModel | null): void {
    const rng = this.rng;
    const attributes = shape.attributes;
    if (attributes.length < this.opts.attributes) this.padding.pad(attributes, this.opts.attributes - attributes.length, rng);
    let events: GenEvent[] = NO_EVENTS;
    let message = statusMessage;
    if (exceptionIn !== null) {
      const ex = exceptionEvent(exceptionIn.language, rng, end - 1);
      events = [ex.event];
      if (shape.kind !== SpanKindCode.SERVER || exceptionIn.protocol === 'grpc') message = ex.message;
    }
    if (rng.chance(this.opts.eventRate)) {
      const ev = logEvent(rng, start + Math.floor((end - start) / 2));
      events = events === NO_EVENTS ? [ev] : [...events, ev];
    }
    this.spans.push({
      traceId: this.traceId, spanId, parentSpanId: parentId, name: shape.name, kind: shape.kind,
      startUs: start, endUs: end, statusCode, statusMessage: message, attributes, events,
      resource: this.resources[svc.index], remoteService: shape.remoteService,
    });
  }
}

/** Shared empty list: events are never appended in place, so one instance is safe. */
const NO_EVENTS: GenEvent[] = [];
