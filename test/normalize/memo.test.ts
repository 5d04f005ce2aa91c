// boundedMemo: each key computed once while remembered, null answers remembered too, and the
// memo emptied (not grown) at its bound.
import t from 'tap';
import { boundedMemo } from '../../src/normalize/memo.ts';

t.test('computes each key once, remembers null, and starts over at its bound', async (t) => {
  const calls: string[] = [];
  const memo = boundedMemo(2, (k: string) => {
    calls.push(k);
    return k === 'none' ? null : k.toUpperCase();
  });
  t.equal(memo('a'), 'A');
  t.equal(memo('a'), 'A');
  t.equal(memo('none'), null);
  t.equal(memo('none'), null);
  t.same(calls, ['a', 'none'], 'one call per key, a null answer included');
  t.equal(memo('b'), 'B', 'a third key empties the memo first');
  t.equal(memo('a'), 'A');
  t.same(calls, ['a', 'none', 'b', 'a'], 'so the first key is computed again');
});
