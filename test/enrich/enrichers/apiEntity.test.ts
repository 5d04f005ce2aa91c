import t from 'tap';
import { entityId, serviceEntityId } from '../../../src/enrich/entity.ts';
import { MemoryEntityResolver } from '../../../src/enrich/memoryResolver.ts';
import { compileEnrichmentOptions, defaultEnrichers } from '../../../src/enrich/defaults.ts';
import { createEnrichmentPipeline } from '../../../src/enrich/pipeline.ts';
import { assembleTrace } from '../../../src/trace/assemble.ts';
import { buildSpans, enrich, TENANT } from '../build.ts';

t.test('each API node gets an API entity with a readable name, copied to all its spans', async (t) => {
  const { trace, at, resolver } = await enrich([
    { id: 'in', kind: 'SERVER', service: 'shop', name: 'GET', attrs: { 'http.method': 'GET', 'http.target': '/users/42/orders/9f1c2b3a4d5e6f70' } },
    { id: 'work', parent: 'in', service: 'shop' },
    { id: 'out', parent: 'work', kind: 'CLIENT', service: 'shop' },
    { id: 'cart', parent: 'out', kind: 'SERVER', service: 'cart', attrs: { 'rpc.system': 'grpc', 'rpc.service': 'shop.Cart', 'rpc.method': 'Get' } },
  ]);
  const { apiId, apiName, apiNameSource } = trace.enriched;
  t.equal(apiName[at('in')], 'GET /users/{id}/orders/{id}');
  t.equal(apiNameSource[at('in')], 'path');
  t.equal(apiName[at('out')], 'GET /users/{id}/orders/{id}', 'the exit span belongs to the same API');
  t.equal(apiId[at('work')], apiId[at('in')]);
  t.equal(apiName[at('cart')], 'shop.Cart/Get');
  const expectedId = entityId(TENANT, 'API', {
    API_URL_PATTERN: 'GET /users/{id}/orders/{id}',
    SERVICE_ID: serviceEntityId(TENANT, 'shop'),
    API_TYPE: 'OPERATION_NAME',
  });
  t.equal(apiId[at('in')], expectedId);
  const api = (resolver as MemoryEntityResolver).find(TENANT, expectedId)!;
  t.match(api.attributes, {
    SERVICE_NAME: 'shop',
    API_NAME: 'GET /users/{id}/orders/{id}',
    api_name_source: 'path',
    api_discovery_state: 'DISCOVERED',
    http_method: 'GET',
  });
});

t.test('the same API twice in a trace is one entity', async (t) => {
  const { trace } = await enrich([
    { id: 'root', kind: 'SERVER', service: 'front', attrs: { 'http.route': '/home', 'http.method': 'GET' } },
    { id: 'c1', parent: 'root', kind: 'CLIENT', service: 'front' },
    { id: 'r1', parent: 'c1', kind: 'SERVER', service: 'users', attrs: { 'http.method': 'GET', 'http.target': '/users/1' } },
    { id: 'c2', parent: 'root', kind: 'CLIENT', service: 'front' },
    { id: 'r2', parent: 'c2', kind: 'SERVER', service: 'users', attrs: { 'http.method': 'GET', 'http.target': '/users/2' } },
  ]);
  const apis = trace.entities.filter((e) => e.type === 'API').map((e) => e.name);
  t.same(apis, ['GET /home', 'GET /users/{id}']);
});

t.test('an entry span without a service gets no API', async (t) => {
  const { trace, at } = await enrich([{ id: 'in', kind: 'SERVER', service: '' }]);
  t.equal(trace.enriched.apiId[at('in')], '');
  t.same(trace.entities, []);
});

t.test('a service past its configured API bound gets wildcard names', async (t) => {
  const enrichers = defaultEnrichers(compileEnrichmentOptions({ maxApisPerService: 3 }));
  const pipeline = createEnrichmentPipeline({ enrichers, resolver: new MemoryEntityResolver() });
  const names = new Set<string>();
  const sources = new Set<string>();
  for (const page of ['about', 'pricing', 'careers', 'press', 'legal', 'blog']) {
    const spans = buildSpans([{ id: 'in', kind: 'SERVER', service: 'cms', attrs: { 'http.method': 'GET', 'http.target': `/pages/${page}/view` } }]);
    const trace = await pipeline.enrich(assembleTrace(spans));
    names.add(trace.enriched.apiName[0]);
    sources.add(trace.enriched.apiNameSource[0]);
  }
  t.same([...names], ['GET /pages/about/view', 'GET /pages/pricing/view', 'GET /pages/careers/view', 'GET /pages/{*}']);
  t.same([...sources], ['path', 'bound']);
});
