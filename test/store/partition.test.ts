import t from 'tap';
import { groupByPartition, partitionHash, partitionOf } from '../../src/store/partition.ts';
import { randomHex, sampleSpans, seededRandom } from './spanlog-fixtures.ts';

/** The PROTOCOL.md definition, written the plain way: bytes through TextEncoder. */
function referenceFnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}
function referenceHash(tenant: string, traceId: string): number {
  const enc = new TextEncoder();
  const bytes = new Uint8Array([...enc.encode(tenant), 0, ...enc.encode(traceId)]);
  let h = referenceFnv1a(bytes);
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Pearson's chi-square statistic of bucket counts against a uniform spread. */
function chiSquare(counts: number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  const expected = n / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

t.test('the hash is FNV-1a 32 over tenant, a zero byte and the trace id, then the murmur3 finalizer', async (t) => {
  t.equal(referenceFnv1a(new TextEncoder().encode('')), 0x811c9dc5, 'reference FNV-1a of ""');
  t.equal(referenceFnv1a(new TextEncoder().encode('a')), 0xe40c292c, 'reference FNV-1a of "a"');
  t.equal(referenceFnv1a(new TextEncoder().encode('foobar')), 0xbf9cf968, 'reference FNV-1a of "foobar"');
  const random = seededRandom(3);
  const tenants = ['acme', '', '__default', 'tenant-ü', 'テナント', '🚀 rocket', 'lone \ud800 surrogate'];
  for (let i = 0; i < 2000; i++) {
    const tenant = tenants[i % tenants.length];
    const traceId = randomHex(random, 32);
    if (partitionHash(tenant, traceId) !== referenceHash(tenant, traceId)) {
      t.fail(`hash differs for ${JSON.stringify(tenant)} / ${traceId}`);
      return;
    }
  }
  t.pass('2000 ids hash as the reference does');
});

t.test('a trace always lands in the same partition, whatever the batch', async (t) => {
  const random = seededRandom(5);
  for (let i = 0; i < 200; i++) {
    const traceId = randomHex(random, 32);
    const p = partitionOf('acme', traceId, 64);
    t.ok(p >= 0 && p < 64 && Number.isInteger(p), `in range: ${p}`);
    t.equal(partitionOf('acme', traceId, 64), p);
  }
  t.not(partitionHash('a', 'bc'), partitionHash('ab', 'c'), 'the separator keeps tenant and trace id apart');
});

t.test('random trace ids spread evenly over the partitions', async (t) => {
  const random = seededRandom(17);
  for (const partitions of [64, 7, 256]) {
    const counts = new Array(partitions).fill(0);
    const n = partitions * 1000;
    for (let i = 0; i < n; i++) counts[partitionOf('acme', randomHex(random, 32), partitions)]++;
    // dof = P - 1; mean P - 1, sd sqrt(2(P - 1)); six sd is a one-in-a-billion false alarm.
    const bound = partitions - 1 + 6 * Math.sqrt(2 * (partitions - 1));
    const chi = chiSquare(counts);
    t.ok(chi < bound, `P=${partitions}: chi-square ${chi.toFixed(1)} < ${bound.toFixed(1)}`);
  }
});

t.test('sequential and zero-extended 64-bit trace ids and many tenants spread evenly too', async (t) => {
  const partitions = 64;
  const sequential = new Array(partitions).fill(0);
  const tenants = new Array(partitions).fill(0);
  for (let i = 0; i < 64_000; i++) {
    sequential[partitionOf('acme', i.toString(16).padStart(32, '0'), partitions)]++;
    tenants[partitionOf(`tenant-${i}`, '00000000000000000000000000000001', partitions)]++;
  }
  const bound = partitions - 1 + 6 * Math.sqrt(2 * (partitions - 1));
  t.ok(chiSquare(sequential) < bound, `sequential ids: chi-square ${chiSquare(sequential).toFixed(1)} < ${bound.toFixed(1)}`);
  t.ok(chiSquare(tenants) < bound, `one id, many tenants: chi-square ${chiSquare(tenants).toFixed(1)} < ${bound.toFixed(1)}`);
});

t.test('groupByPartition keeps every span, in input order, in its trace partition', async (t) => {
  const spans = sampleSpans(1000, { spansPerTrace: 7 });
  // interleave two tenants that share trace ids
  const other = spans.slice(0, 300).map((s) => ({ ...s, tenant: 'globex' }));
  const all = spans.flatMap((s, i) => (i < 300 ? [s, other[i]] : [s]));
  const groups = groupByPartition(all, 16);
  let total = 0;
  for (const [p, group] of groups) {
    total += group.length;
    t.ok(group.every((s) => partitionOf(s.tenant, s.traceId, 16) === p), `partition ${p} holds only its own traces`);
    const positions = group.map((s) => all.indexOf(s));
    t.same(positions, [...positions].sort((a, b) => a - b), `partition ${p} keeps input order`);
  }
  t.equal(total, all.length, 'no span lost or duplicated');
  t.equal(groupByPartition([], 16).size, 0);
});

t.test('a partition count that is not a positive integer is INVALID_ARGUMENT', async (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => groupByPartition(sampleSpans(1), bad), { name: 'TesseraError', code: 'INVALID_ARGUMENT' }, `partitions = ${bad}`);
  }
});
