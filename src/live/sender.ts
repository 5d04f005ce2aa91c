// Writes live frames to one WebSocket. Frames are not written as they come: a sender with
// frames waiting is flushed on a shared tick (FLUSH_DELAY_MS), so every delivery that arrived
// within the tick reaches the connection as one buffer and one socket write, instead of one
// `ws.send` (a frame header, a string encoding, two stream writes) per event and one system
// call per delivery. The frames are framed here: each is a text frame of the source's prefix,
// an event's body (bytes shared by every subscriber of the operation, encoded once) and the
// source's suffix. Only while the socket's outgoing buffer is below a high-water mark: past it
// the sender stops taking frames until the socket has written what it holds, so a client that
// stops reading leaves its events in its subscriptions' bounded streams, which then cut it off
// (stream.ts), instead of in memory here. While waiting for the tick, frames also stay in those
// bounded streams: the tick adds at most FLUSH_DELAY_MS to the delivery latency and no buffer.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { timeLive } from './busy.ts';

/** A subscription as the sender sees it: frames of `framePrefix` + a body + `frameSuffix`. */
export interface FrameSource {
  readonly framePrefix: Buffer;
  readonly frameSuffix: Buffer;
  /** The body of the next frame, or undefined when none is waiting. */
  nextBody(): Buffer | undefined;
}

/** Default outgoing bytes a socket may hold before its sender waits for them to be written. */
export const DEFAULT_HIGH_WATER_BYTES = 256 * 1024;

/** How long frames may wait to be written together with later ones. */
export const FLUSH_DELAY_MS = 10;

/** Senders with frames waiting, flushed together on the next tick. */
let due: SocketSender[] = [];

function flushDue(): void {
  timeLive(() => {
    const flushing = due;
    due = [];
    for (const sender of flushing) sender.flush();
  });
}

/**
 * The TCP socket under a `ws` WebSocket, to write whole frames to it. `ws` keeps it in a
 * private field. Frames written there must not overtake frames `ws` still holds, which only
 * happens when it compresses (an extension) or reads a Blob (never here); when the socket is
 * not there, or an extension was negotiated, frames go through `ws.send` one by one.
 */
function tcpSocketOf(socket: WebSocket): Socket | undefined {
  const raw = (socket as unknown as { _socket?: Socket })._socket;
  return socket.extensions === '' && raw && typeof raw.write === 'function' ? raw : undefined;
}

/** Size of a server (unmasked) frame header for a payload of `length` bytes (RFC 6455 §5.2). */
const headerBytes = (length: number): number => (length < 126 ? 2 : length < 65_536 ? 4 : 10);

/** Writes a FIN text-frame header at `at`; returns where the payload starts. */
function writeHeader(into: Buffer, at: number, length: number): number {
  into[at] = 0x81;
  if (length < 126) {
    into[at + 1] = length;
    return at + 2;
  }
  if (length < 65_536) {
    into[at + 1] = 126;
    into.writeUInt16BE(length, at + 2);
    return at + 4;
  }
  into[at + 1] = 127;
  into.writeUInt16BE(0, at + 2);
  into.writeUIntBE(length, at + 4, 6);
  return at + 10;
}

// One flush's frames, reused from flush to flush (flushes are synchronous).
const takenSources: FrameSource[] = [];
const takenBodies: Buffer[] = [];

export class SocketSender {
  private readonly waiting = new Set<FrameSource>();
  private queued = false;
  /** Waiting for the socket to write out what it holds. */
  private stalled = false;
  /** Frames written; for stats. */
  framesSent = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly highWaterBytes: number = DEFAULT_HIGH_WATER_BYTES,
  ) {}

  /** The source has frames waiting; they are written on the next tick. */
  wake(source: FrameSource): void {
    this.waiting.add(source);
    if (this.queued || this.stalled) return;
    this.queued = true;
    if (due.length === 0) setTimeout(flushDue, FLUSH_DELAY_MS);
    due.push(this);
  }

  /** The source is gone: nothing more is taken from it. */
  forget(source: FrameSource): void {
    this.waiting.delete(source);
  }

  /** Writes what the waiting sources hold, up to the high-water mark. */
  flush(): void {
    this.queued = false;
    if (this.stalled) return;
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) {
      this.waiting.clear();
      return;
    }
    const budget = this.highWaterBytes - socket.bufferedAmount;
    let bytes = 0;
    let full = false;
    try {
      for (const source of this.waiting) {
        const fixed = source.framePrefix.length + source.frameSuffix.length;
        let body: Buffer | undefined;
        while (!full && (body = source.nextBody()) !== undefined) {
          takenSources.push(source);
          takenBodies.push(body);
          bytes += headerBytes(fixed + body.length) + fixed + body.length;
          // This frame fills the buffer: the rest waits in the streams until it is written.
          full = bytes >= budget;
        }
        if (full) break;
        this.waiting.delete(source);
      }
      if (takenBodies.length === 0) return;
      this.framesSent += takenBodies.length;
      const tcp = tcpSocketOf(socket);
      if (tcp) this.writeFrames(tcp, bytes, full);
      else this.sendFrames(socket, full);
    } finally {
      takenSources.length = 0;
      takenBodies.length = 0;
    }
  }

  /** All taken frames as one buffer, in one write. */
  private writeFrames(tcp: Socket, bytes: number, full: boolean): void {
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (let i = 0; i < takenBodies.length; i++) {
      const { framePrefix, frameSuffix } = takenSources[i];
      const body = takenBodies[i];
      at = writeHeader(out, at, framePrefix.length + body.length + frameSuffix.length);
      at += framePrefix.copy(out, at);
      at += body.copy(out, at);
      at += frameSuffix.copy(out, at);
    }
    if (!full) tcp.write(out);
    else {
      this.stalled = true;
      tcp.write(out, (err) => this.resume(err));
    }
  }

  /** Without the TCP socket: one `ws.send` per frame. */
  private sendFrames(socket: WebSocket, full: boolean): void {
    const last = takenBodies.length - 1;
    if (full) this.stalled = true;
    for (let i = 0; i <= last; i++) {
      const { framePrefix, frameSuffix } = takenSources[i];
      const frame = Buffer.concat([framePrefix, takenBodies[i], frameSuffix]);
      if (full && i === last) socket.send(frame, { binary: false }, (err) => this.resume(err));
      else socket.send(frame, { binary: false });
    }
  }

  /** What filled the buffer has been written: take frames again. */
  private resume(err: Error | null | undefined): void {
    this.stalled = false;
    if (!err && this.waiting.size > 0) this.wake(this.waiting.values().next().value!);
  }
}
