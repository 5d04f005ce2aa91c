import t from 'tap';
import { ApiNameBound, wildcardAt } from '../../src/enrich/apiNameBound.ts';

t.test('wildcards replace the tail of a name from a depth on', async (t) => {
  t.equal(wildcardAt('GET /a/b/c', 2), 'GET /a/b/{*}');
  t.equal(wildcardAt('GET /a/b/c', 1), 'GET /a/{*}');
  t.equal(wildcardAt('GET /a/b/c', 0), 'GET /{*}');
  t.equal(wildcardAt('shop.Cart/AddItem', 1), 'shop.Cart/{*}');
  t.equal(wildcardAt('process-payment', 0), '{*}');
});

t.test('names are admitted as they are while the service is under its bound', async (t) => {
  const bound = new ApiNameBound({ maxPerService: 3 });
  for (const name of ['GET /a', 'GET /b', 'GET /c', 'GET /a']) t.equal(bound.admit('acme', 'svc', name), name);
  t.equal(bound.size('acme', 'svc'), 3);
});

t.test('past the bound a new name collapses to a wildcard, and known names keep their own', async (t) => {
  const bound = new ApiNameBound({ maxPerService: 2 });
  bound.admit('acme', 'svc', 'GET /pages/home');
  bound.admit('acme', 'svc', 'GET /pages/about');
  t.equal(bound.admit('acme', 'svc', 'GET /pages/pricing'), 'GET /pages/{*}');
  t.equal(bound.admit('acme', 'svc', 'GET /pages/contact/form'), 'GET /pages/{*}', 'the deepest wildcard already admitted is reused');
  t.equal(bound.admit('acme', 'svc', 'GET /pages/about'), 'GET /pages/about');
  t.equal(bound.admit('acme', 'svc', 'GET /blog'), 'GET /{*}', 'a one-segment name collapses to the root wildcard');
});

t.test('each service and tenant has its own bound', async (t) => {
  const bound = new ApiNameBound({ maxPerService: 1 });
  t.equal(bound.admit('acme', 'a', 'GET /x'), 'GET /x');
  t.equal(bound.admit('acme', 'b', 'GET /y'), 'GET /y');
  t.equal(bound.admit('globex', 'a', 'GET /y'), 'GET /y');
  t.equal(bound.admit('acme', 'a', 'GET /y'), 'GET /{*}');
});

t.test('a flood of unique free-text paths never takes a service past twice its bound plus a wildcard per method', async (t) => {
  const max = 20;
  const bound = new ApiNameBound({ maxPerService: max });
  const methods = ['GET', 'POST', 'DELETE'];
  const out = new Set<string>();
  for (let k = 0; k < 5000; k++) {
    const method = methods[k % methods.length];
    out.add(bound.admit('acme', 'cms', `${method} /wiki-${k % 97}/article-about-topic-${k}/edit`));
  }
  t.ok(out.size <= 2 * max + methods.length, `${out.size} names`);
  t.ok(out.size > max, 'it did collapse rather than refuse');
  t.equal(bound.size('acme', 'cms'), out.size);
});

t.test('a bound below one is refused', async (t) => {
  t.throws(() => new ApiNameBound({ maxPerService: 0 }), RangeError);
});

t.test('past maxServices the least recently seen service is forgotten, and starts over', async (t) => {
  const bound = new ApiNameBound({ maxPerService: 1, maxServices: 2 });
  t.equal(bound.admit('acme', 'a', 'GET /a/x'), 'GET /a/x');
  t.equal(bound.admit('acme', 'b', 'GET /b/x'), 'GET /b/x');
  t.equal(bound.admit('acme', 'a', 'GET /a/y'), 'GET /a/{*}', 'a is full, and now the most recently seen');
  t.equal(bound.admit('acme', 'c', 'GET /c/x'), 'GET /c/x', 'c takes the place of b');
  t.equal(bound.size('acme', 'b'), 0, 'b was forgotten');
  t.equal(bound.size('acme', 'a'), 2, 'a was kept');
  t.equal(bound.admit('acme', 'b', 'GET /b/y'), 'GET /b/y', 'b starts over under its bound');
});

t.test('tenant and service id are separate keys: no joined key makes two services one', async (t) => {
  const bound = new ApiNameBound({ maxPerService: 1 });
  bound.admit('a\u0000b', 'c', 'GET /x');
  t.equal(bound.size('a', 'b\u0000c'), 0, 'a joined "tenant\\0service" key would have matched');
  t.equal(bound.admit('a', 'b\u0000c', 'GET /y'), 'GET /y', 'so this service has its own bound');
  t.equal(bound.size('a\u0000b', 'c'), 1);
});

t.test('using a service keeps it; the forgotten one starts over even when it was the last asked', async (t) => {
  const bound = new ApiNameBound({ maxPerService: 1, maxServices: 2 });
  bound.admit('acme', 'a', 'GET /a');
  bound.admit('acme', 'b', 'GET /b');
  bound.admit('acme', 'a', 'GET /a');
  bound.admit('acme', 'c', 'GET /c');
  t.equal(bound.size('acme', 'b'), 0, 'b was the least recently seen');
  t.equal(bound.size('acme', 'a'), 1);
  const one = new ApiNameBound({ maxPerService: 1, maxServices: 1 });
  one.admit('acme', 'a', 'GET /a');
  one.admit('other', 'a', 'GET /z');
  t.equal(one.size('acme', 'a'), 0, 'the only slot went to the other tenant');
  t.equal(one.admit('acme', 'a', 'GET /b'), 'GET /b', 'a starts over with an empty set');
});
