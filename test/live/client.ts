// A graphql-ws client for the live tests, as a user's script would open one: the real
// graphql-ws client over `ws`, with the tenant in connection_init or in the upgrade header.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface LiveClientOptions {
  connectionParams?: Record<string, unknown>;
  /** Sent as the upgrade request's x-tenant-id header. */
  headerTenant?: string;
}

export interface LiveSubscription<T = Record<string, any>> {
  events: T[];
  /** Set when the server answered with an `error` message (or the socket failed). */
  errors: { message: string; extensions?: { code?: string } }[] | null;
  completed: boolean;
  /** Arrival time (performance.now()) of each event. */
  arrivals: number[];
}

export interface LiveClient {
  client: Client;
  /** The sockets the client opened (to pause one, as a client that stops reading). */
  sockets: WebSocket[];
  /** Resolves with the code and reason the connection was closed with. */
  closed: Promise<{ code: number; reason: string }>;
  subscribe<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): LiveSubscription<T>;
}

export function liveClient(t: { teardown(fn: () => unknown): void }, url: string, opts: LiveClientOptions = {}): LiveClient {
  const sockets: WebSocket[] = [];
  const headers = opts.headerTenant ? { 'x-tenant-id': opts.headerTenant } : undefined;
  class TrackedSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, headers ? { headers } : {});
      sockets.push(this);
    }
  }
  let onClosed!: (e: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client = createClient({
    url,
    webSocketImpl: TrackedSocket,
    connectionParams: opts.connectionParams,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: { closed: (e) => onClosed({ code: (e as { code: number }).code, reason: String((e as { reason: unknown }).reason) }) },
  });
  t.teardown(async () => {
    for (const s of sockets) s.resume();
    await client.dispose();
  });
  return {
    client,
    sockets,
    closed,
    subscribe<T>(query: string, variables?: Record<string, unknown>): LiveSubscription<T> {
      const sub: LiveSubscription<T> = { events: [], errors: null, completed: false, arrivals: [] };
      client.subscribe<T>({ query, variables }, {
        next: (result) => {
          if (result.errors) sub.errors = result.errors as LiveSubscription['errors'];
          if (result.data) {
            sub.arrivals.push(performance.now());
            sub.events.push(Object.values(result.data)[0] as T);
          }
        },
        error: (err) => {
          sub.errors = Array.isArray(err) ? (err as LiveSubscription['errors']) : [{ message: String((err as Error)?.message ?? err) }];
        },
        complete: () => (sub.completed = true),
      });
      return sub;
    },
  };
}
