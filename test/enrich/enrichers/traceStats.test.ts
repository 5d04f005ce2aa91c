import t from 'tap';
import { enrich } from '../build.ts';

t.test('trace stats name the head span and count distinct entered APIs', async (t) => {
  const { trace, at } = await enrich([
    { id: 'root', kind: 'SERVER', service: 'front', attrs: { 'http.route': '/home' } },
    { id: 'c1', parent: 'root', kind: 'CLIENT', service: 'front' },
    { id: 'u1', parent: 'c1', kind: 'SERVER', service: 'users', attrs: { 'http.target': '/users/1' } },
    { id: 'c2', parent: 'root', kind: 'CLIENT', service: 'front' },
    { id: 'u2', parent: 'c2', kind: 'SERVER', service: 'users', attrs: { 'http.target': '/users/2' } },
  ]);
  t.equal(trace.summary.headSpan, at('root'));
  t.equal(trace.summary.uniqueApis, 2, 'the two /users/{id} calls are one API');
});

t.test('a trace without API nodes has no head span', async (t) => {
  const { trace } = await enrich([{ id: 'a', service: '' }], { enrichers: [] });
  t.equal(trace.summary.headSpan, -1);
  t.equal(trace.summary.uniqueApis, 0);
});
