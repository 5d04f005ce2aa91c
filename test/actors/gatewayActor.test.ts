// The GatewayActor runs operations concurrently up to its bound, queues the next ones up to a
// bound, refuses past that, and a caller's deadline answers DEADLINE_EXCEEDED.
import t from 'tap';
import { pino } from 'pino';
import { runOperation, spawnGatewayActor } from '../../src/actors/gatewayActor.ts';
import { startActorSystem, stopActorSystem } from '../../src/actors/runtime.ts';
import { TesseraError } from '../../src/errors.ts';
import { waitFor } from '../helpers/wait.ts';

const logger = pino({ level: 'silent' });

/** Operations that finish only when the test releases them. */
function gated() {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const run = (op: string) => {
    started.push(op);
    return new Promise<string>((resolve) => release.set(op, () => resolve(`done ${op}`)));
  };
  return { started, release, run };
}

t.test('runs up to maxInFlight at once and starts a queued one as each finishes', async (t) => {
  const system = startActorSystem('gateway-test-1');
  t.teardown(() => stopActorSystem(system));
  const g = gated();
  const ref = spawnGatewayActor<string, string>(system, { run: (op) => g.run(op), maxInFlight: 2, maxQueued: 10, logger });
  const answers = ['a', 'b', 'c'].map((op) => runOperation(ref, op, 'acme', 5000));
  await waitFor(() => g.started.length === 2, { what: 'two operations to start' });
  t.same(g.started, ['a', 'b'], 'the third waits');
  g.release.get('a')!();
  t.equal(await answers[0], 'done a');
  await waitFor(() => g.started.length === 3, { what: 'the queued operation to start' });
  g.release.get('b')!();
  g.release.get('c')!();
  t.same(await Promise.all(answers), ['done a', 'done b', 'done c']);
});

t.test('refuses with RESOURCE_EXHAUSTED past its queue, and answers DEADLINE_EXCEEDED past the deadline', async (t) => {
  const system = startActorSystem('gateway-test-2');
  t.teardown(() => stopActorSystem(system));
  const g = gated();
  const ref = spawnGatewayActor<string, string>(system, { run: (op) => g.run(op), maxInFlight: 1, maxQueued: 1, logger });
  const first = runOperation(ref, 'a', 'acme', 5000);
  const second = runOperation(ref, 'b', 'acme', 5000);
  await waitFor(() => g.started.length === 1, { what: 'the first operation' });
  await t.rejects(runOperation(ref, 'c', 'acme', 5000), { code: 'RESOURCE_EXHAUSTED' });
  g.release.get('a')!();
  await waitFor(() => g.release.has('b'), { what: 'the queued operation' });
  // 'd' waits behind 'b' past its deadline.
  await t.rejects(runOperation(ref, 'd', 'acme', 50), { code: 'DEADLINE_EXCEEDED' });
  g.release.get('b')!();
  t.same([await first, await second], ['done a', 'done b']);
  await waitFor(() => g.release.has('d'), { what: 'the late operation to run anyway' });
  g.release.get('d')!();
});

t.test('an operation that throws is answered with its coded error', async (t) => {
  const system = startActorSystem('gateway-test-3');
  t.teardown(() => stopActorSystem(system));
  const ref = spawnGatewayActor<string, string>(system, { run: async () => { throw new TesseraError('BAD_QUERY', 'nope'); }, logger });
  await t.rejects(runOperation(ref, 'x', 'acme', 5000), { code: 'BAD_QUERY' });
  const ok = spawnGatewayActor<string, string>(system, { run: async (op, tenant) => `${tenant}:${op}`, logger }, 'gateway-ok');
  t.equal(await runOperation(ok, 'y', 'acme', 5000), 'acme:y', 'the tenant travels with the operation');
});
