// graphql-ws (the graphql-transport-ws protocol) on the main HTTP server's /graphql path: the
// same path and port as queries. A thin edge: it resolves the connection's tenant, plans each
// subscription before answering (so a bad filter is an `error` message, never a first event),
// and turns fan-out streams into `next` messages. A subscriber that falls behind is closed
// with 4413 and, if it does not even read the close frame, terminated. docs/PROTOCOL.md.
import type http from 'node:http';
import {
  createSourceEventStream,
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
} from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { TesseraError } from '../errors.ts';
import { catalog as defaultCatalog, type AttributeCatalog } from '../gateway/catalog.ts';
import { formatGraphqlError } from '../gateway/errors.ts';
import type { LiveHub } from './api.ts';
import { liveBusyMs } from './busy.ts';
import { LiveDelivery, renderPayload } from './delivery.ts';
import { LiveFanout, type LiveFanoutStats } from './fanout.ts';
import type { LiveRow } from './plan.ts';
import { liveSchema, type LiveContext } from './schema.ts';
import { DEFAULT_HIGH_WATER_BYTES, SocketSender } from './sender.ts';
import { LiveStream } from './stream.ts';

/** Close codes of the live endpoint (besides graphql-ws's own 44xx codes). */
export const LiveCloseCode = {
  /** The connection_init payload names a tenant that is not a non-empty string. */
  BadTenant: 4422,
  /** A subscription's buffer filled up: the client does not read fast enough. */
  SubscriberFellBehind: 4413,
  /** The node is shutting down. */
  GoingAway: 1001,
} as const;

export interface LiveServerOptions {
  hub: LiveHub;
  defaultTenant: string;
  logger: Logger;
  /**
   * A subscription that still has an earlier delivery unread is cut off when it would hold
   * more than this many events (default 10 000) or deliveries (default 100). One delivery is
   * everything one write of traces matched, so a burst alone never cuts a client off.
   */
  maxBufferedEvents?: number;
  maxBufferedBatches?: number;
  catalog?: AttributeCatalog;
  /** Must contain the live Subscription fields; default liveSchema. */
  schema?: GraphQLSchema;
  path?: string;
  /** Largest client message; default 1 MiB. */
  maxPayloadBytes?: number;
  /** After the close frame, a client that has not closed is terminated; default 5000 ms. */
  closeGraceMs?: number;
  /** graphql-ws keep-alive ping interval; default 12 000 ms. */
  keepAliveMs?: number;
  /** Outgoing bytes a socket may hold before events wait in the subscription's buffer; default 256 KiB. */
  socketHighWaterBytes?: number;
}

export interface LiveServerStats extends LiveFanoutStats {
  connections: number;
  /** Milliseconds the live path has held the event loop (busy.ts; process-wide). */
  busyMs: number;
  /** Connections closed with SubscriberFellBehind. */
  connectionsCutOff: number;
}

export interface LiveServer {
  readonly fanout: LiveFanout;
  stats(): LiveServerStats;
  close(): Promise<void>;
}

type Extra = {
  socket: WebSocket;
  request: http.IncomingMessage;
};

interface Connection {
  context: LiveContext;
  sender: SocketSender;
  /** The connection's live subscriptions, to end together when it is cut off. */
  streams: Set<LiveStream<LiveRow>>;
  cutOff: boolean;
}

const badQuery = (message: string): GraphQLError => new GraphQLError(message, { originalError: new TesseraError('BAD_QUERY', message) });

/** Tenant from connection_init (`x-tenant-id` or `tenant`), else the upgrade header, else the default. */
function tenantOf(params: Record<string, unknown> | undefined, request: http.IncomingMessage, fallback: string): string | null {
  const given = params?.['x-tenant-id'] ?? params?.tenant;
  if (given !== undefined && given !== null) return typeof given === 'string' && given.trim() !== '' ? given.trim() : null;
  const header = request.headers['x-tenant-id'];
  return (Array.isArray(header) ? header[0] : header)?.trim() || fallback;
}

export function attachLiveSubscriptions(server: http.Server, opts: LiveServerOptions): LiveServer {
  const logger = opts.logger.child({ component: 'live' });
  const schema = opts.schema ?? liveSchema;
  const catalog = opts.catalog ?? defaultCatalog;
  const closeGraceMs = opts.closeGraceMs ?? 5000;
  const maxBufferedEvents = opts.maxBufferedEvents ?? 10_000;
  const maxBufferedBatches = opts.maxBufferedBatches ?? 100;
  const fanout = new LiveFanout({ hub: opts.hub, logger, maxBufferedEvents, maxBufferedBatches });
  const wss = new WebSocketServer({ server, path: opts.path ?? '/graphql', maxPayload: opts.maxPayloadBytes ?? 1024 * 1024 });
  const connections = new WeakMap<object, Connection>();
  const deliveries = new WeakMap<ExecutionArgs, LiveDelivery>();
  const highWaterBytes = opts.socketHighWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
  let connectionsCutOff = 0;

  const closeSocket = (socket: WebSocket, code: number, reason: string): void => {
    if (socket.readyState === socket.CLOSED) return;
    socket.close(code, reason);
    // A client that stopped reading never reads the close frame either.
    setTimeout(() => socket.readyState === socket.CLOSED || socket.terminate(), closeGraceMs).unref();
  };

  const connect = (ctx: Context<Record<string, unknown>, Extra>): boolean => {
    const { socket, request } = ctx.extra;
    const tenant = tenantOf(ctx.connectionParams, request, opts.defaultTenant);
    if (tenant === null) {
      closeSocket(socket, LiveCloseCode.BadTenant, 'x-tenant-id must be a non-empty string');
      return false;
    }
    const conn: Connection = {
      cutOff: false,
      sender: new SocketSender(socket, highWaterBytes),
      streams: new Set(),
      context: {
        tenant, catalog, fanout,
        onOverflow: () => {
          if (conn.cutOff) return;
          conn.cutOff = true;
          connectionsCutOff++;
          // The socket is closing: its other subscriptions stop buffering (and count as cut off) now.
          for (const stream of conn.streams) stream.end('overflow');
          closeSocket(socket, LiveCloseCode.SubscriberFellBehind, `subscriber fell behind: more than ${maxBufferedEvents} events or ${maxBufferedBatches} deliveries waiting`);
        },
      },
    };
    connections.set(ctx, conn);
    return true;
  };

  /** Parses, validates and plans before anything is sent: errors go back as one `error` message. */
  const prepare = async (ctx: Context<Record<string, unknown>, Extra>, id: string, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    const conn = connections.get(ctx);
    if (!conn) return [new GraphQLError('the connection has no tenant')];
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (err) {
      return [err instanceof GraphQLError ? err : new GraphQLError(String(err))];
    }
    const invalid = validate(schema, document);
    if (invalid.length > 0) return invalid;
    const args: ExecutionArgs = {
      schema, document, contextValue: conn.context,
      variableValues: payload.variables ?? undefined, operationName: payload.operationName ?? undefined,
    };
    const operation = getOperationAST(document, args.operationName)?.operation;
    if (operation === undefined) return [badQuery('no operation of the document matches operationName')];
    if (operation !== 'subscription') return [badQuery(`graphql-ws on this path serves subscriptions: send a ${operation} over HTTP`)];
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source.errors ?? [new GraphQLError('the subscription did not start')];
    if (!(source instanceof LiveStream)) return [new GraphQLError('not a live subscription field')];
    // Subscribers sending the same operation get the same payload bytes for an event.
    const operationKey = `${args.operationName ?? ''}\u0000${payload.query}\u0000${JSON.stringify(args.variableValues ?? null)}`;
    const stream = source as LiveStream<LiveRow>;
    conn.streams.add(stream);
    void stream.finished.then(() => conn.streams.delete(stream));
    deliveries.set(args, new LiveDelivery(id, stream, conn.sender, (row) => renderPayload(args, row, logger), operationKey));
    return args;
  };

  useServer<Record<string, unknown>, Extra>({
    schema,
    onConnect: connect,
    onSubscribe: (ctx, id, payload) => prepare(ctx, id, payload) as Promise<ExecutionArgs | GraphQLError[]>,
    // Events bypass graphql-ws (delivery.ts): what it gets only says when the subscription ends.
    subscribe: (args) => deliveries.get(args) ?? { errors: [new GraphQLError('the subscription was not prepared')] },
    onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatGraphqlError(e, logger)),
  }, wss, opts.keepAliveMs ?? 12_000);

  return {
    fanout,
    stats: () => ({ ...fanout.stats(), connections: wss.clients.size, connectionsCutOff, busyMs: liveBusyMs() }),
    close: async () => {
      fanout.close();
      for (const socket of wss.clients) closeSocket(socket, LiveCloseCode.GoingAway, 'server shutting down');
      // Give clients a moment to answer the close frame, then cut the rest.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...wss.clients].map((s) => new Promise((resolve) => s.once('close', resolve)))),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.min(closeGraceMs, 1000)))),
      ]);
      clearTimeout(timer);
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
