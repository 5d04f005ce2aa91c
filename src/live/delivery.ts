// One graphql-ws subscription's delivery. graphql-ws would run `execute` and serialize the
// result for every event of every subscriber, and await each socket write before taking the
// next event. Here an event is executed and serialized once per distinct operation (LiveRow
// caches the payload as UTF-8 bytes, shared by every subscriber sending the same operation),
// and each subscriber only adds its `id` around those bytes: the `next` message
// (`{"id":…,"type":"next","payload":…}`, docs/PROTOCOL.md) is framed and written straight to
// the socket by its SocketSender. graphql-ws still owns the protocol: it gets a completion handle as the
// subscription's "stream", which yields nothing and ends when the delivery ends, so it sends
// `complete`, and calls `return` when the client completes or the socket closes.
import { execute, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import { formatGraphqlError } from '../gateway/errors.ts';
import type { LiveRow } from './plan.ts';
import type { FrameSource, SocketSender } from './sender.ts';
import type { LiveStream } from './stream.ts';

const isPromise = (v: unknown): v is Promise<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

/** The `payload` of a `next` message for one event, as JSON. */
export function renderPayload(args: ExecutionArgs, row: LiveRow, logger: Logger): string {
  let result = execute({ ...args, rootValue: row }) as ExecutionResult | Promise<ExecutionResult>;
  // Live resolvers are synchronous; a promise here is a bug, answered as an error event.
  if (isPromise(result)) {
    result.catch(() => undefined);
    result = { data: null, errors: [new GraphQLError('a live field resolved asynchronously')] };
  }
  const payload = result.errors ? { ...result, errors: result.errors.map((e) => formatGraphqlError(e, logger)) } : result;
  return JSON.stringify(payload);
}

const NEXT_SUFFIX = Buffer.from('}');

export class LiveDelivery implements FrameSource, AsyncIterableIterator<never> {
  readonly framePrefix: Buffer;
  readonly frameSuffix = NEXT_SUFFIX;
  private started = false;
  private readonly render: (row: LiveRow) => Buffer;

  constructor(
    id: string,
    private readonly stream: LiveStream<LiveRow>,
    private readonly sender: SocketSender,
    /** The payload of one event; the same for every subscriber of `operationKey`. */
    private readonly payloadOf: (row: LiveRow) => string,
    private readonly operationKey: string,
  ) {
    this.framePrefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
    this.render = (row) => Buffer.from(this.payloadOf(row));
  }

  nextBody(): Buffer | undefined {
    const row = this.stream.poll();
    if (row === undefined) return undefined;
    return row.shared(this.operationKey, this.render);
  }

  /** graphql-ws starts reading: deliveries begin, and this settles when they end. */
  async next(): Promise<IteratorResult<never>> {
    if (!this.started) {
      this.started = true;
      this.stream.onReadable = () => this.sender.wake(this);
    }
    await this.stream.finished;
    this.sender.forget(this);
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<never>> {
    this.stream.end('closed');
    this.sender.forget(this);
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
