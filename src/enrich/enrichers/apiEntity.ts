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
      const nodes = trace.apiNodes;
      const requests: EntityRequest[] = [];
      const sources: ApiNameSource[] = [];
      /** Per service id, API name → index of its request: nodes of one API share one entity. */
      const byService = new Map<string, Map<string, number>>();
      /** The request of each node; -1 when the node has no API. */
      const requestOf = new Int32Array(nodes.length).fill(-1);
      for (let k = 0; k < nodes.length; k++) {
        const e = nodes[k].entry;
        if (e === -1 || serviceId[e] === '') continue;
        const candidate = apiNameOf(trace.spans[e], protocol[e]);
        const name = bound.admit(trace.tenant, serviceId[e], candidate.name);
        let names = byService.get(serviceId[e]);
        if (names === undefined) byService.set(serviceId[e], (names = new Map()));
        const known = names.get(name);
        if (known !== undefined) {
          requestOf[k] = known;
          continue;
        }
        const source: ApiNameSource = name === candidate.name ? candidate.source : 'bound';
        requestOf[k] = requests.length;
        names.set(name, requests.length);
        sources.push(source);
        const api = { name, source, method: candidate.method };
        requests.push(apiRequest(trace.tenant, { id: serviceId[e], name: serviceName[e] }, api, trace.spans[e].startUs));
      }
      if (requests.length === 0) return;
      return andThen(resolveMany(ctx.resolver, requests), (entities) => {
        for (const entity of entities) ctx.addEntity(entity);
        for (let k = 0; k < nodes.length; k++) {
          const r = requestOf[k];
          if (r === -1) continue;
          const { id, name } = entities[r];
          const source = sources[r];
          for (const i of nodes[k].spans) {
            apiId[i] = id;
            apiName[i] = name;
            apiNameSource[i] = source;
          }
        }
      });
    },
  };
}
