// SocketSender: what subscriptions have waiting reaches the socket in order, and a client that
// stops reading makes the sender stop taking frames (they stay with their source) until the
// socket has written what it holds.
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { SocketSender, type FrameSource } from '../../src/live/sender.ts';
import { waitFor } from '../helpers/wait.ts';

/** A server-side socket and the client connected to it, with what the client received. */
async function socketPair(t: Test): Promise<{ server: WebSocket; client: WebSocket; received: string[] }> {
  const httpServer = http.createServer();
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  const wss = new WebSocketServer({ server: httpServer });
  const accepted = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on('message', (data) => void received.push(String(data)));
  await new Promise((r) => client.once('open', r));
  const server = await accepted;
  t.teardown(async () => {
    client.terminate();
    for (const s of wss.clients) s.terminate();
    await new Promise((r) => wss.close(r));
    await new Promise((r) => httpServer.close(r));
  });
  return { server, client, received };
}

/** A source handing out the given frames, counting how many were taken. */
function source(frames: string[]): FrameSource & { taken: number } {
  const s = {
    taken: 0,
    nextFrame: () => (s.taken < frames.length ? frames[s.taken++] : undefined),
  };
  return s;
}

t.test('frames of every waiting source reach the client, each source in order', async (t) => {
  const { server, received } = await socketPair(t);
  const sender = new SocketSender(server);
  const a = source(['a1', 'a2', 'a3']);
  const b = source(['b1', 'b2']);
  sender.wake(a);
  sender.wake(b);
  sender.wake(a);
  t.equal(a.taken, 0, 'nothing is taken before the current turn ends');
  await waitFor(() => received.length === 5, { what: 'five frames' });
  t.same(received.filter((f) => f.startsWith('a')), ['a1', 'a2', 'a3']);
  t.same(received.filter((f) => f.startsWith('b')), ['b1', 'b2']);
  t.equal(sender.framesSent, 5);
});

t.test('stops taking frames while the client does not read, and sends the rest once it does', async (t) => {
  const { server, client, received } = await socketPair(t);
  const highWater = 64 * 1024;
  const sender = new SocketSender(server, highWater);
  const frame = 'x'.repeat(16 * 1024);
  // Far more than the kernel buffers of a loopback connection hold.
  const total = 4000;
  const frames = Array.from({ length: total }, (_, i) => `${i} ${frame}`);
  const src = source(frames);
  client.pause();
  sender.wake(src);
  // The socket takes what the kernel accepts, then the sender stalls with frames left over.
  let last = -1;
  await waitFor(() => {
    const stable = src.taken === last;
    last = src.taken;
    return stable && src.taken > 0;
  }, { everyMs: 300, what: 'the sender to stop taking frames' });
  t.ok(src.taken < total, `stalled after ${src.taken} of ${total} frames`);
  t.ok(server.bufferedAmount <= highWater + frame.length + 64, `the socket holds at most about the high-water mark (${server.bufferedAmount} bytes)`);

  client.resume();
  await waitFor(() => received.length === total, { timeoutMs: 60_000, what: 'every frame' });
  t.equal(src.taken, total);
  t.same(received.map((r) => Number(r.slice(0, r.indexOf(' ')))), frames.map((_, i) => i), 'in order');
});
