// EndpointEnricher: the API entity of each API node, named by apiNameOf (route, RPC method, or
// templated path) and kept within the per-service bound; its id and name are copied to every
// span of the node.

import { apiNameOf } from '../apiName.ts';
import type { ApiNameBound } from '../apiNameBound.ts';
import { EntityKeys } from '../entity.ts';
import type { EntityRequest } from '../entity.ts';
import { andThen, resolveMany } from '../enricher.ts';
import type { Enricher } from '../enricher.ts';
import type { ApiNameSource } from '../types.ts';

export function apiRequest(
  tenant: string,
  service: { id: string; name: string },
  api: { name: string; source: ApiNameSource; method: string },
  seenUs: number,
): EntityRequest {
  const attributes: Record<string, string> = {
    [EntityKeys.SERVICE_NAME]: service.name,
    [EntityKeys.API_NAME]: api.name,
    [EntityKeys.API_NAME_SOURCE]: api.source,
    [EntityKeys.API_DISCOVERY_FROM]: 'OPERATION_NAME',
    [EntityKeys.API_DISCOVERY_STATE]: 'DISCOVERED',
  };
  if (api.method !== '') attributes[EntityKeys.HTTP_METHOD] = api.method;
  return {
    tenant,
    type: 'API',
    identifying: {
      [EntityKeys.API_URL_PATTERN]: api.name,
      [EntityKeys.SERVICE_ID]: service.id,
      [EntityKeys.API_TYPE]: 'OPERATION_NAME',
    },
    attributes,
    name: api.name,
    seenUs,
  };
}

export function createApiEntityEnricher(bound: ApiNameBound): Enricher {
  return {
    name: 'ApiEntity',
    dependsOn: ['ServiceEntity', 'ApiTrace'],
    enrich(ctx) {
      const { trace } = ctx;
      const { serviceId, serviceName, protocol, apiId, apiName, apiNameSource } = trace.enriched;
      const requests: EntityRequest[] = [];
      const nodesByKey = new Map<string, number[]>();
      const sources: ApiNameSource[] = [];
      trace.apiNodes.forEach((node, k) => {
        const e = node.entry;
        if (e === -1 || serviceId[e] === '') return;
        const candidate = apiNameOf(trace.spans[e], protocol[e]);
        const name = bound.admit(trace.tenant, serviceId[e], candidate.name);
        const source: ApiNameSource = name === candidate.name ? candidate.source : 'bound';
        const key = `${serviceId[e]}\u0000${name}`;
        const known = nodesByKey.get(key);
        if (known !== undefined) {
          known.push(k);
          return;
        }
        nodesByKey.set(key, [k]);
        sources.push(source);
        const api = { name, source, method: candidate.method };
        requests.push(apiRequest(trace.tenant, { id: serviceId[e], name: serviceName[e] }, api, trace.spans[e].startUs));
      });
      const groups = [...nodesByKey.values()];
      return andThen(resolveMany(ctx.resolver, requests), (entities) => {
        entities.forEach((entity, g) => {
          ctx.addEntity(entity);
          for (const k of groups[g]) {
            for (const i of trace.apiNodes[k].spans) {
              apiId[i] = entity.id;
              apiName[i] = entity.name;
              apiNameSource[i] = sources[g];
            }
          }
        });
      });
    },
  };
}
