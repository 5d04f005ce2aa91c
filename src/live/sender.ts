// Writes live frames to one WebSocket: everything its subscriptions have waiting is written in
// one go after the fan-out's pushes of a delivery (one corked write, so one system call per
// connection per delivery rather than one per event), and only while the socket's outgoing
// buffer is below a high-water mark. Past it the sender stops taking frames until the socket
// has written what it holds, so a client that stops reading leaves its events in its
// subscriptions' bounded streams, which then cut it off (stream.ts), instead of in memory here.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { timeLive } from './busy.ts';

/** A subscription as the sender sees it: frames, ready-made, one at a time. */
export interface FrameSource {
  /** The next frame to send, or undefined when none is waiting. */
  nextFrame(): string | undefined;
}

/** Default outgoing bytes a socket may hold before its sender waits for them to be written. */
export const DEFAULT_HIGH_WATER_BYTES = 256 * 1024;

/** Senders with frames waiting, flushed together once the current pushes are done. */
const due: SocketSender[] = [];

function flushDue(): void {
  timeLive(() => {
    for (const sender of due.splice(0)) sender.flush();
  });
}

/**
 * The TCP socket under a `ws` WebSocket, to cork it around a flush. `ws` keeps it in a private
 * field; when it is not there (another `ws` version) frames are simply written one by one.
 */
function tcpSocketOf(socket: WebSocket): Socket | undefined {
  const raw = (socket as unknown as { _socket?: Socket })._socket;
  return raw && typeof raw.cork === 'function' && typeof raw.uncork === 'function' ? raw : undefined;
}

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

  /** The source has frames waiting; they are written after the pushes of this turn. */
  wake(source: FrameSource): void {
    this.waiting.add(source);
    if (this.queued || this.stalled) return;
    this.queued = true;
    if (due.length === 0) queueMicrotask(flushDue);
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
    const tcp = tcpSocketOf(socket);
    tcp?.cork();
    try {
      for (const source of this.waiting) {
        let frame: string | undefined;
        while ((frame = source.nextFrame()) !== undefined) {
          this.framesSent++;
          if (socket.bufferedAmount + frame.length < this.highWaterBytes) {
            socket.send(frame);
            continue;
          }
          // This frame fills the buffer: when it has been written, everything before it has.
          this.stalled = true;
          socket.send(frame, (err) => {
            this.stalled = false;
            if (!err && this.waiting.size > 0) this.wake(this.waiting.values().next().value!);
          });
          return;
        }
        this.waiting.delete(source);
      }
    } finally {
      tcp?.uncork();
    }
  }
}
