import t from 'tap';
import { enrich } from '../build.ts';

t.test('an API node counts its backend calls and outgoing API calls by callee', async (t) => {
  const redis = { 'db.system': 'redis', 'net.peer.name': 'cache', 'net.peer.port': '6379' };
  const { trace, at } = await enrich([
    { id: 'in', kind: 'SERVER', service: 'front' },
    { id: 'get1', parent: 'in', kind: 'CLIENT', service: 'front', attrs: redis },
    { id: 'get2', parent: 'in', kind: 'CLIENT', service: 'front', attrs: redis },
    { id: 'call', parent: 'in', kind: 'CLIENT', service: 'front' },
    { id: 'users', parent: 'call', kind: 'SERVER', service: 'users' },
    { id: 'mystery', parent: 'in', kind: 'CLIENT', service: 'front' },
  ]);
  const front = trace.apiNodes[trace.enriched.apiNode[at('in')]];
  t.equal(front.exitCalls, 4);
  t.same(front.calleeNameCount, { 'cache:6379': 2, users: 1, 'unknown-backend': 1 });
  t.equal(trace.apiNodes[trace.enriched.apiNode[at('users')]].exitCalls, 0);
  t.equal(trace.summary.apiExitCalls, 4);
});

t.test('calls through a proxy that emits no exit span count as calls of the proxy', async (t) => {
  const { trace } = await enrich([
    { id: 'mesh', kind: 'SERVER', service: 'istio' },
    { id: 'app', parent: 'mesh', kind: 'SERVER', service: 'orders' },
  ]);
  t.same(trace.apiNodes[0].calleeNameCount, { orders: 1 });
});
