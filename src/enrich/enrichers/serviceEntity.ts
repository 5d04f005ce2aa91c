// DefaultServiceEntityEnricher: the SERVICE entity of each span. A leaf exit span belongs to the
// first ancestor that is not an API exit (nor an exit of its own name): in HotROD, the `mysql` and
// `redis` client spans are the customer's and the driver's calls, and their own "service" names
// become backends instead. A leaf exit with no such ancestor whose `peer.service` is its own
// service gets no service, so only a backend is made of it.

import { EntityKeys } from '../entity.ts';
import type { EntityRequest } from '../entity.ts';
import { andThen, resolveMany } from '../enricher.ts';
import type { Enricher } from '../enricher.ts';
import type { EnrichedTrace } from '../types.ts';

/** The service name a span is attributed to; '' when it gets none. */
export function attributedServiceName(trace: EnrichedTrace, i: number, names: readonly string[]): string {
  const own = trace.spans[i].serviceName;
  if (own === '') return '';
  if (trace.enriched.spanType[i] !== 'EXIT' || trace.children[i].length > 0) return own;
  const { parent } = trace;
  const { apiBoundary: boundary, spanType } = trace.enriched;
  let p = parent[i];
  // Skipped: API exits, and exit spans of the leaf's own name (HotROD's redis client wrapping
  // its GET). An entry or internal span of the same name stops the walk: that is the service
  // making the call (an auto-instrumented redis call inside `users`, which `shop` called).
  // Ancestors come earlier in breadth-first order, so names[p] is already decided.
  while (p !== -1 && (boundary[p] === 'EXIT' || names[p] === '' || (names[p] === own && spanType[p] === 'EXIT'))) p = parent[p];
  if (p !== -1) return names[p];
  return trace.spans[i].attributes['peer.service'] === own ? '' : own;
}

export function serviceRequest(tenant: string, name: string, seenUs: number): EntityRequest {
  return {
    tenant,
    type: 'SERVICE',
    identifying: { [EntityKeys.FQN]: name },
    attributes: { [EntityKeys.SERVICE_TYPE]: 'JAEGER_SERVICE' },
    name,
    seenUs,
  };
}

export const serviceEntityEnricher: Enricher = {
  name: 'ServiceEntity',
  dependsOn: ['ApiBoundary'],
  enrich(ctx) {
    const { trace } = ctx;
    const n = trace.spans.length;
    const names = new Array<string>(n);
    const spansByName = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const name = attributedServiceName(trace, i, names);
      names[i] = name;
      if (name === '') continue;
      const list = spansByName.get(name);
      if (list === undefined) spansByName.set(name, [i]);
      else list.push(i);
    }
    const distinct = [...spansByName.keys()];
    trace.summary.services = distinct;
    const requests = distinct.map((name) => serviceRequest(trace.tenant, name, trace.startUs));
    return andThen(resolveMany(ctx.resolver, requests), (entities) => {
      const { serviceId, serviceName } = trace.enriched;
      entities.forEach((entity, k) => {
        ctx.addEntity(entity);
        for (const i of spansByName.get(distinct[k])!) {
          serviceId[i] = entity.id;
          serviceName[i] = entity.name;
        }
      });
    });
  },
};
