// BackendEntityEnricher: the BACKEND entity a leaf exit span calls. An HTTP(S) or gRPC "backend"
// whose host (or `peer.service`) is a known service is not a backend: that call went to a traced
// service whose entry span is just missing here. Hosts under an excluded domain are skipped.

import { EntityKeys, serviceEntityId } from '../entity.ts';
import type { Entity, EntityRequest } from '../entity.ts';
import { allOf, andThen, resolveMany } from '../enricher.ts';
import type { Enricher, EnrichmentContext, MaybePromise } from '../enricher.ts';
import { BACKEND_PROVIDERS, hostAndPort, resolveBackend } from '../backendProviders.ts';
import type { BackendCandidate, BackendProvider } from '../backendProviders.ts';
import type { BackendProtocol } from '../types.ts';

export interface BackendEntityOptions {
  /** Domains (and their subdomains) that never become backends, e.g. telemetry endpoints. */
  excludedDomains?: readonly string[];
  providers?: readonly BackendProvider[];
}

interface Found {
  span: number;
  candidate: BackendCandidate;
  host: string;
  port: string;
  /** Names that, if a service has them, mean this is a service call and not a backend. */
  serviceNames: string[];
}

const SERVICE_CHECKED: ReadonlySet<BackendProtocol> = new Set(['HTTP', 'HTTPS', 'GRPC']);

export function backendRequest(tenant: string, found: { candidate: BackendCandidate; host: string; port: string }, seenUs: number): EntityRequest {
  const { candidate, host, port } = found;
  return {
    tenant,
    type: 'BACKEND',
    identifying: {
      [EntityKeys.BACKEND_PROTOCOL]: candidate.protocol,
      [EntityKeys.BACKEND_HOST]: host,
      [EntityKeys.BACKEND_PORT]: port,
    },
    attributes: candidate.attributes,
    name: port === '-1' ? host : `${host}:${port}`,
    seenUs,
  };
}

const isExcluded = (host: string, domains: readonly string[]): boolean =>
  domains.some((d) => host === d || host.endsWith(`.${d}`));

function candidates(ctx: EnrichmentContext, options: BackendEntityOptions): Found[] {
  const { trace } = ctx;
  const { spans, parent, children } = trace;
  const { spanType, protocol, serviceName } = trace.enriched;
  const providers = options.providers ?? BACKEND_PROVIDERS;
  const excluded = options.excludedDomains ?? [];
  const out: Found[] = [];
  for (let i = 0; i < spans.length; i++) {
    if (spanType[i] !== 'EXIT' || children[i].length > 0) continue;
    const p = parent[i];
    const parentService = p === -1 ? undefined : serviceName[p] || spans[p].serviceName;
    const candidate = resolveBackend(
      // The memo fields start out present so every input has one shape.
      { span: spans[i], protocol: protocol[i], parentService, dbSystem: undefined, messagingSystem: undefined },
      providers,
    );
    if (candidate === undefined) continue;
    const { host, port } = hostAndPort(candidate.uri, candidate.protocol);
    if (host === '' || isExcluded(host, excluded)) continue;
    const serviceNames: string[] = [];
    if (SERVICE_CHECKED.has(candidate.protocol)) {
      serviceNames.push(host);
      const peer = (spans[i].attributes['peer.service'] ?? '').trim();
      if (peer !== '' && peer !== host) serviceNames.push(peer);
    }
    out.push({ span: i, candidate, host, port, serviceNames });
  }
  return out;
}

/** Which of these names are services: first those in the trace, then the resolver's. */
function knownServices(ctx: EnrichmentContext, names: Set<string>): MaybePromise<Set<string>> {
  const { trace } = ctx;
  const inTrace = new Set<string>(trace.summary.services);
  const known = new Set<string>();
  const asked: string[] = [];
  const answers: MaybePromise<Entity | undefined>[] = [];
  for (const name of names) {
    if (inTrace.has(name)) known.add(name);
    else {
      asked.push(name);
      answers.push(ctx.resolver.find(trace.tenant, serviceEntityId(trace.tenant, name)));
    }
  }
  return andThen(allOf(answers), (found) => {
    found.forEach((entity, k) => {
      if (entity !== undefined) known.add(asked[k]);
    });
    return known;
  });
}

function isKnownService(names: readonly string[], services: ReadonlySet<string>): boolean {
  for (const n of names) if (services.has(n)) return true;
  return false;
}

export function createBackendEntityEnricher(options: BackendEntityOptions = {}): Enricher {
  return {
    name: 'BackendEntity',
    dependsOn: ['ServiceEntity', 'ApiEntity'],
    enrich(ctx) {
      const { trace } = ctx;
      const found = candidates(ctx, options);
      if (found.length === 0) return;
      const names = new Set<string>();
      for (const f of found) for (const n of f.serviceNames) names.add(n);
      return andThen(knownServices(ctx, names), (services) => {
        const kept: Found[] = [];
        for (const f of found) if (!isKnownService(f.serviceNames, services)) kept.push(f);
        const keys = new Map<string, number>();
        const requests: EntityRequest[] = [];
        const requestOf = new Int32Array(kept.length);
        for (let j = 0; j < kept.length; j++) {
          const f = kept[j];
          const key = `${f.candidate.protocol}\u0000${f.host}\u0000${f.port}`;
          let k = keys.get(key);
          if (k === undefined) {
            k = requests.length;
            keys.set(key, k);
            requests.push(backendRequest(trace.tenant, f, trace.spans[f.span].startUs));
          }
          requestOf[j] = k;
        }
        return andThen(resolveMany(ctx.resolver, requests), (entities) => {
          const { backend } = trace.enriched;
          for (const entity of entities) ctx.addEntity(entity);
          for (let j = 0; j < kept.length; j++) {
            const f = kept[j];
            const entity = entities[requestOf[j]];
            backend[f.span] = {
              id: entity.id,
              name: entity.name,
              host: f.host,
              port: f.port,
              protocol: f.candidate.protocol,
              path: f.candidate.path,
              operation: f.candidate.operation,
              destination: f.candidate.destination,
            };
          }
        });
      });
    },
  };
}
