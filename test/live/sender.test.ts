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

/** A source handing out the given frames (as bodies between `prefix` and `suffix`), counting how many were taken. */
function source(frames: string[], prefix = '', suffix = ''): FrameSource & { taken: number } {
  const bodies = frames.map((f) => Buffer.from(f));
  const s = {
    taken: 0,
    framePrefix: Buffer.from(prefix),
    frameSuffix: Buffer.from(suffix),
    nextBody: () => (s.taken < bodies.length ? bodies[s.taken++] : undefined),
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

t.test('frames of every length and any characters arrive whole, as text, wrapped in the source prefix and suffix', async (t) => {
  const { server, received } = await socketPair(t);
  const sender = new SocketSender(server);
  // Lengths around the three header sizes of RFC 6455 (7-bit, 16-bit, 64-bit), in bytes.
  const bodies = ['', 'é'.repeat(62), 'x'.repeat(125), 'é'.repeat(100), 'x'.repeat(65_535), '€'.repeat(30_000), 'y'.repeat(70_000)];
  sender.wake(source(bodies, '{"id":"ü",', '}'));
  await waitFor(() => received.length === bodies.length, { what: 'every frame' });
  t.same(received, bodies.map((b) => `{"id":"ü",${b}}`));
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

/** The text frames in `bytes`, as written by a server (unmasked, RFC 6455 §5.2). */
function framesIn(bytes: Buffer): string[] {
  const frames: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    let length = bytes[at + 1] & 0x7f;
    let start = at + 2;
    if (length === 126) [length, start] = [bytes.readUInt16BE(at + 2), at + 4];
    else if (length === 127) [length, start] = [bytes.readUIntBE(at + 4, 6), at + 10];
    frames.push(bytes.toString('utf8', start, start + length));
    at = start + length;
  }
  return frames;
}

t.test('what arrives from several deliveries within one tick goes out in one socket write', async (t) => {
  const writes: Buffer[] = [];
  const tcp = { write: (b: Buffer) => void writes.push(b) };
  const socket = { readyState: 1, OPEN: 1, bufferedAmount: 0, extensions: '', _socket: tcp, send: () => t.fail('frames go to the TCP socket') };
  const sender = new SocketSender(socket as unknown as WebSocket);
  sender.wake(source(['a1', 'a2'], '<', '>'));
  // A later delivery, in a later job of the same turn. (It used to wait for setImmediate, which
  // the tick's timer can beat when a loaded machine holds the process past the tick: flaky in CI.)
  for (let i = 0; i < 3; i++) await Promise.resolve();
  sender.wake(source(['b1'], '[', ']'));
  await waitFor(() => writes.length > 0, { what: 'a write' });
  await new Promise((r) => setTimeout(r, 50));
  t.equal(writes.length, 1, 'one write');
  t.same(writes.flatMap(framesIn), ['<a1>', '<a2>', '[b1]']);
  t.equal(sender.framesSent, 3);
});
