import t from 'tap';
import { enrich } from '../build.ts';

t.test('a trace that starts with an API entry is named after its API', async (t) => {
  const { trace } = await enrich([
    { id: 'root', kind: 'SERVER', service: 'front', attrs: { 'http.method': 'POST', 'http.target': '/checkout/81723' } },
    { id: 'child', parent: 'root', service: 'front' },
  ]);
  t.equal(trace.summary.transactionName, 'POST /checkout/{id}');
});

t.test('a trace that starts elsewhere has no transaction name', async (t) => {
  const { trace } = await enrich([
    { id: 'job', service: 'cron' },
    { id: 'later', parent: 'job', kind: 'SERVER', service: 'billing', attrs: { 'http.target': '/run' } },
  ]);
  t.equal(trace.summary.transactionName, '');
});
