import t from 'tap';
import { MemoryClusterRegistry } from '../../src/sharding/memoryRegistry.ts';
import { registryConformance } from './registry.conformance.ts';

registryConformance(t, async (t) => {
  const r = new MemoryClusterRegistry();
  t.teardown(() => r.close());
  return r;
});

t.test('a closed registry answers UNAVAILABLE', async (t) => {
  const r = new MemoryClusterRegistry();
  await r.close();
  await t.rejects(r.members(), { code: 'UNAVAILABLE' });
});
