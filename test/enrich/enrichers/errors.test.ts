import t from 'tap';
import { enrich } from '../build.ts';

t.test('errors and exceptions are counted per span, per API node and per trace', async (t) => {
  const { trace, at } = await enrich([
    { id: 'in', kind: 'SERVER', service: 'a', attrs: { 'http.method': 'GET', 'http.status_code': '500' } },
    { id: 'boom', parent: 'in', service: 'a', attrs: { 'exception.type': 'TypeError' } },
    { id: 'flagged', parent: 'in', service: 'a', attrs: { error: 'true' } },
    { id: 'status', parent: 'in', service: 'a', status: 2 },
    { id: 'fine', parent: 'in', kind: 'CLIENT', service: 'a' },
    { id: 'remote', parent: 'fine', kind: 'SERVER', service: 'b' },
  ]);
  const { errorCount, exceptionCount } = trace.enriched;
  const row = (label: string) => [errorCount[at(label)], exceptionCount[at(label)]];
  t.same(row('in'), [1, 0], 'API status FAIL is an error');
  t.same(row('boom'), [1, 1], 'an exception is an error too');
  t.same(row('flagged'), [1, 0]);
  t.same(row('status'), [1, 0], 'OTel status ERROR');
  t.same(row('fine'), [0, 0]);
  t.same(trace.apiNodes.map((n) => n.errorSpanCount), [4, 0]);
  t.equal(trace.summary.spanCountWithErrors, 4);
  t.equal(trace.summary.spanCountWithExceptions, 1);
  t.equal(trace.summary.transactionHasError, true, 'the earliest span is an entry with an error');
});

t.test('a trace has no transaction error when its earliest span is not an entry', async (t) => {
  const { trace } = await enrich([
    { id: 'job', attrs: { error: 'true' } },
    { id: 'in', parent: 'job', kind: 'SERVER', service: 'b' },
  ]);
  t.equal(trace.summary.spanCountWithErrors, 1);
  t.equal(trace.summary.transactionHasError, false);
});
