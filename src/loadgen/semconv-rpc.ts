// Attribute shapes of HTTP and gRPC spans, in the three vocabularies real instrumentation
// sends: OpenTelemetry semantic conventions before the 1.21 HTTP rename ("semconv-old"),
// after it ("semconv-new"), and OpenTracing/Zipkin-era tags. The per-call-site part of each
// shape is built once and shared (see `fixed`); only ids, paths and status codes vary.

import { type Attr, type SpanKindCode, SpanKindCode as Kind, bool, int, shared, str } from './model.ts';
import type { ApiModel, ServiceModel } from './topology.ts';

export interface SpanShape {
  name: string;
  kind: SpanKindCode;
  attributes: Attr[];
  /** Zipkin remoteEndpoint service name. */
  remoteService: string;
}

const cache = new WeakMap<object, Map<number, Attr[]>>();

/** What a shared attribute list is for, combined with the calling service into a slot number. */
export const Role = { HTTP_SERVER: 1, HTTP_CLIENT: 2, GRPC_SERVER: 3, GRPC_CLIENT: 4, BACKEND: 5, CONSUMER: 6 } as const;

/** The cache slot of a role seen from one service (index -1: no caller, a root span). */
export const slotOf = (role: number, serviceIndex: number): number => role * 65_536 + serviceIndex + 1;

/**
 * Builds the shared attributes of one call site once, then hands the same array out. Slots are
 * numbers so the per-span lookup builds no key string.
 */
export function fixed(owner: object, slot: number, build: () => Attr[]): Attr[] {
  let slots = cache.get(owner);
  if (slots === undefined) cache.set(owner, (slots = new Map()));
  let attrs = slots.get(slot);
  if (attrs === undefined) slots.set(slot, (attrs = shared(build())));
  return attrs;
}

const intAttrs = new Map<string, Attr[]>();
/** A shared `key = code` integer attribute (status codes repeat, so they are never rebuilt). */
export function codeAttr(key: string, code: number): Attr {
  let byCode = intAttrs.get(key);
  if (byCode === undefined) intAttrs.set(key, (byCode = []));
  return (byCode[code] ??= shared([int(key, code)])[0]);
}

const ERROR_TRUE = shared([bool('error', true)])[0];

/** The path of one call: the route with its `{id}` filled. */
export const pathOf = (api: ApiModel, id: string): string => (api.hasId ? api.route.replace('{id}', id) : api.route);

export function httpServer(api: ApiModel, caller: ServiceModel | null, id: string, status: number, error: boolean): SpanShape {
  const svc = api.service;
  const path = pathOf(api, id);
  const conv = svc.convention;
  const base = fixed(api, slotOf(Role.HTTP_SERVER, caller?.index ?? -1), () => {
    const a: Attr[] = [];
    const route = svc.routeStyle === 'route';
    const peer = caller?.ipv4 ?? '203.0.113.7';
    if (conv === 'semconv-new') {
      a.push(str('http.request.method', api.method), str('url.scheme', 'http'), str('server.address', svc.host),
        int('server.port', svc.port), str('network.protocol.version', '1.1'), str('client.address', peer),
        str('network.peer.address', peer));
      if (route) a.push(str('http.route', api.route));
      if (caller === null) a.push(str('user_agent.original', USER_AGENT));
    } else if (conv === 'semconv-old') {
      a.push(str('http.method', api.method), str('http.scheme', 'http'), str('http.host', `${svc.host}:${svc.port}`),
        str('http.flavor', '1.1'), str('net.host.name', svc.host), int('net.host.port', svc.port),
        str('net.sock.peer.addr', peer));
      if (route) a.push(str('http.route', api.route));
      if (caller === null) a.push(str('http.user_agent', USER_AGENT));
    } else {
      a.push(str('component', 'http'), str('http.method', api.method), str('peer.ipv4', peer));
      if (caller === null) a.push(str('http.request.header.user-agent', USER_AGENT));
    }
    return a;
  });
  const attrs = base.slice();
  if (conv === 'semconv-new') attrs.push(str('url.path', path), codeAttr('http.response.status_code', status));
  else if (conv === 'semconv-old') attrs.push(str('http.target', path), codeAttr('http.status_code', status));
  else attrs.push(str('http.url', `http://${svc.host}:${svc.port}${path}`), codeAttr('http.status_code', status));
  if (error && conv === 'opentracing') attrs.push(ERROR_TRUE);
  const name = svc.routeStyle === 'route' ? `${api.method} ${api.route}` : conv === 'opentracing' ? path : `${api.method} ${path}`;
  return { name, kind: Kind.SERVER, attributes: attrs, remoteService: '' };
}

export function httpClient(caller: ServiceModel, api: ApiModel, id: string, status: number, error: boolean): SpanShape {
  const callee = api.service;
  const url = `http://${callee.host}:${callee.port}${pathOf(api, id)}`;
  const conv = caller.convention;
  const base = fixed(api, slotOf(Role.HTTP_CLIENT, caller.index), () => {
    if (conv === 'semconv-new') {
      return [str('http.request.method', api.method), str('server.address', callee.host), int('server.port', callee.port),
        str('network.protocol.version', '1.1')];
    }
    if (conv === 'semconv-old') {
      return [str('http.method', api.method), str('net.peer.name', callee.host), int('net.peer.port', callee.port),
        str('http.flavor', '1.1')];
    }
    return [str('component', 'http'), str('http.method', api.method), str('peer.hostname', callee.host),
      int('peer.port', callee.port), str('peer.service', callee.name)];
  });
  const attrs = base.slice();
  if (conv === 'semconv-new') attrs.push(str('url.full', url), codeAttr('http.response.status_code', status));
  else attrs.push(str('http.url', url), codeAttr('http.status_code', status));
  if (error && conv === 'opentracing') attrs.push(ERROR_TRUE);
  const name = conv === 'semconv-new' ? api.method : `HTTP ${api.method}`;
  return { name, kind: Kind.CLIENT, attributes: attrs, remoteService: callee.name };
}

/** gRPC status codes the generator uses: OK, and the usual server-side failures. */
export const GRPC_OK = 0;
export const GRPC_ERRORS = [13, 14, 4] as const;

function grpcFixed(api: ApiModel, conv: ServiceModel['convention'], role: 'server' | 'client', peer: ServiceModel | null): Attr[] {
  const svc = api.service;
  const a: Attr[] = [];
  if (conv === 'opentracing') {
    a.push(str('component', 'grpc'), str('grpc.method', `/${svc.grpcService}/${api.route}`));
    if (role === 'client') a.push(str('peer.hostname', svc.host), int('peer.port', svc.port), str('peer.service', svc.name));
    else if (peer !== null) a.push(str('peer.ipv4', peer.ipv4));
    return a;
  }
  a.push(str('rpc.system', 'grpc'), str('rpc.service', svc.grpcService), str('rpc.method', api.route));
  if (role === 'client') {
    if (conv === 'semconv-new') a.push(str('server.address', svc.host), int('server.port', svc.port));
    else a.push(str('net.peer.name', svc.host), int('net.peer.port', svc.port));
  } else if (peer !== null) {
    a.push(str(conv === 'semconv-new' ? 'client.address' : 'net.sock.peer.addr', peer.ipv4));
  }
  return a;
}

export function grpcServer(api: ApiModel, caller: ServiceModel | null, code: number): SpanShape {
  const conv = api.service.convention;
  const attrs = fixed(api, slotOf(Role.GRPC_SERVER, caller?.index ?? -1), () => grpcFixed(api, conv, 'server', caller)).slice();
  attrs.push(codeAttr(conv === 'opentracing' ? 'grpc.status_code' : 'rpc.grpc.status_code', code));
  if (code !== GRPC_OK && conv === 'opentracing') attrs.push(ERROR_TRUE);
  return { name: grpcName(api, conv), kind: Kind.SERVER, attributes: attrs, remoteService: '' };
}

export function grpcClient(caller: ServiceModel, api: ApiModel, code: number): SpanShape {
  const conv = caller.convention;
  const attrs = fixed(api, slotOf(Role.GRPC_CLIENT, caller.index), () => grpcFixed(api, conv, 'client', caller)).slice();
  attrs.push(codeAttr(conv === 'opentracing' ? 'grpc.status_code' : 'rpc.grpc.status_code', code));
  if (code !== GRPC_OK && conv === 'opentracing') attrs.push(ERROR_TRUE);
  return { name: grpcName(api, conv), kind: Kind.CLIENT, attributes: attrs, remoteService: api.service.name };
}

const grpcName = (api: ApiModel, conv: ServiceModel['convention']): string =>
  conv === 'opentracing' ? `/${api.service.grpcService}/${api.route}` : `${api.service.grpcService}/${api.route}`;

const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
