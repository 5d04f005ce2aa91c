// GraphQL over HTTP on /graphql: POST with one operation or a JSON array of operations (the
// Apollo batch form, answered with an array in the same order), GET with ?query=, CORS. The
// tenant is the `x-tenant-id` header, else the default. A thin edge: it parses, validates
// (with depth and cost bounds) and hands each operation to the GatewayActor, which executes
// it against the schema under a per-operation deadline; past it, the operation's store
// queries are told to stop (an AbortSignal the store passes on to the database).
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  execute,
  getOperationAST,
  specifiedRules,
  type DocumentNode,
  type GraphQLError,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { Logger } from 'pino';
import { TesseraError, asTesseraError, httpStatusOf } from '../errors.ts';
import { runOperation, spawnGatewayActor } from '../actors/gatewayActor.ts';
import { startActorSystem, stopActorSystem, type ActorSystem } from '../actors/runtime.ts';
import type { ViewStore } from '../store/api.ts';
import type { EntityStore } from '../store/entities.ts';
import { catalog as defaultCatalog, type AttributeCatalog } from './catalog.ts';
import { documentCache } from './documents.ts';
import { formatGraphqlError, requestError } from './errors.ts';
import type { GatewayContext } from './graphqlTypes.ts';
import { DEFAULT_BOUNDS, queryBoundsRule, type QueryBounds } from './limits.ts';
import { schema as defaultSchema } from './schema.ts';

export interface GraphqlHttpOptions {
  store: ViewStore;
  /** Entity-store-only attributes and includeInactive; without it they answer null / live entities only. */
  entities?: EntityStore;
  defaultTenant: string;
  logger: Logger;
  /** Each operation's deadline (default 30 s); past it the answer is a DEADLINE_EXCEEDED error. */
  queryTimeoutMs?: number;
  /** The actor system the GatewayActor joins; without one the executor starts its own. */
  system?: ActorSystem;
  /** Operations executing at once (default 8); more wait in a bounded queue. */
  maxInFlight?: number;
  /** Depth and cost bounds per operation (default 12 and 5000). */
  bounds?: QueryBounds;
  /** Largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number;
  /** Operations in one batch at most (default 50). */
  maxBatch?: number;
  schema?: GraphQLSchema;
  catalog?: AttributeCatalog;
}

export interface GraphqlRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, x-tenant-id, authorization, apollographql-client-name, apollographql-client-version',
  'access-control-max-age': '86400',
};

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...CORS_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

/**
 * The request body as text. Past `limit` it stops buffering and rejects with
 * PAYLOAD_TOO_LARGE once the client has finished sending (so the 413 reaches it); a body
 * far past the limit is cut off.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () => new TesseraError('PAYLOAD_TOO_LARGE', `request body is over ${limit} bytes`);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > 16 * limit) {
        reject(tooLarge());
        req.destroy();
      }
    });
    req.on('end', () => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/** Runs GraphQL operations for a tenant: parse and validate (cached), execute, code errors. */
export interface GraphqlExecutor {
  (op: GraphqlRequest, tenant: string, method: string): Promise<FormattedExecutionResult>;
  /** Stops the executor's own actor system (none when it joined the caller's). */
  close(): void;
}

let executors = 0;

/** The store as one operation sees it: every query stops when the operation's deadline passes. */
function stoppableStore(store: ViewStore, signal: AbortSignal): ViewStore {
  return {
    init: () => store.init(),
    replaceTraces: (traces, o) => store.replaceTraces(traces, o),
    storedSpans: (keys) => store.storedSpans(keys),
    query: (q, o) => store.query(q, { signal, ...o }),
    close: () => store.close(),
  };
}

export function buildGraphqlExecutor(opts: GraphqlHttpOptions): GraphqlExecutor {
  const schema = opts.schema ?? defaultSchema;
  const catalog = opts.catalog ?? defaultCatalog;
  const timeoutMs = opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const rules = [...specifiedRules, queryBoundsRule(opts.bounds ?? DEFAULT_BOUNDS)];
  // Parse and validate once per text, and validate in full once per shape (documents.ts).
  const documentOf = documentCache(schema, rules);

  const formatted = (result: ExecutionResult): FormattedExecutionResult => ({
    ...(result.errors ? { errors: result.errors.map((e) => formatGraphqlError(e, opts.logger)) } : {}),
    ...(result.data === undefined ? {} : { data: result.data }),
  });

  interface Prepared {
    doc: DocumentNode;
    variables?: Record<string, unknown>;
    operationName?: string;
    /** Aborted at the operation's deadline: the store stops its statements. */
    signal: AbortSignal;
  }

  // Execution is the GatewayActor's: it bounds how many operations run at once.
  const n = ++executors;
  const ownSystem = opts.system ? undefined : startActorSystem(`tessera-gateway-${n}`);
  const gateway = spawnGatewayActor<Prepared, FormattedExecutionResult>(opts.system ?? ownSystem!, {
    logger: opts.logger,
    maxInFlight: opts.maxInFlight,
    run: async (p, tenant) => {
      const contextValue: GatewayContext = { tenant, store: stoppableStore(opts.store, p.signal), catalog, logger: opts.logger, ...(opts.entities ? { entities: opts.entities } : {}) };
      return formatted(await execute({ schema, document: p.doc, contextValue, variableValues: p.variables, operationName: p.operationName }));
    },
  }, `gateway-${n}`);

  const run = async (op: GraphqlRequest, tenant: string, method: string): Promise<FormattedExecutionResult> => {
    if (typeof op !== 'object' || op === null || typeof op.query !== 'string' || op.query.trim() === '') {
      return requestError(new TesseraError('BAD_QUERY', 'each operation needs a "query" string'));
    }
    if (op.variables != null && (typeof op.variables !== 'object' || Array.isArray(op.variables))) {
      return requestError(new TesseraError('BAD_QUERY', '"variables" must be an object'));
    }
    const operationName = typeof op.operationName === 'string' ? op.operationName : undefined;
    const doc = documentOf(op.query);
    if (Array.isArray(doc)) return formatted({ errors: doc as GraphQLError[] });
    const operation = getOperationAST(doc as DocumentNode, operationName);
    if (method === 'GET' && operation && operation.operation !== 'query') {
      return requestError(new TesseraError('BAD_QUERY', `a ${operation.operation} cannot be sent with GET`));
    }
    const deadline = new AbortController();
    const prepared: Prepared = { doc: doc as DocumentNode, signal: deadline.signal, ...(op.variables ? { variables: op.variables as Record<string, unknown> } : {}), ...(operationName ? { operationName } : {}) };
    try {
      return await runOperation(gateway, prepared, tenant, timeoutMs);
    } catch (err) {
      // Past the deadline nobody waits for the answer: stop the work still running (or queued).
      deadline.abort();
      return requestError(asTesseraError(err));
    }
  };
  return Object.assign(run, { close: () => (ownSystem ? stopActorSystem(ownSystem) : undefined) });
}

export type GraphqlHttpHandler = ((req: IncomingMessage, res: ServerResponse) => void) & { close(): void };

/** The `/graphql` request handler (mount it on the main HTTP port); `close()` stops its executor. */
export function buildGraphqlHttpHandler(opts: GraphqlHttpOptions): GraphqlHttpHandler {
  const run = buildGraphqlExecutor(opts);
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const maxBatch = opts.maxBatch ?? 50;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const header = req.headers['x-tenant-id'];
    const tenant = (Array.isArray(header) ? header[0] : header)?.trim() || opts.defaultTenant;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS);
      res.end();
      return;
    }
    if (req.method === 'GET') {
      const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
      let variables: unknown;
      try {
        variables = params.has('variables') ? JSON.parse(params.get('variables')!) : undefined;
      } catch {
        return send(res, 400, requestError(new TesseraError('BAD_QUERY', '"variables" is not JSON')));
      }
      const op = { query: params.get('query') ?? undefined, variables, operationName: params.get('operationName') ?? undefined };
      return send(res, 200, await run(op, tenant, 'GET'));
    }
    if (req.method !== 'POST') {
      return send(res, 405, requestError(new TesseraError('BAD_QUERY', `${req.method} is not supported on /graphql`)), { allow: 'GET, POST, OPTIONS' });
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req, maxBody));
    } catch (err) {
      const coded = err instanceof TesseraError ? err : new TesseraError('INVALID_ARGUMENT', 'the request body is not JSON');
      return send(res, httpStatusOf(coded), requestError(coded));
    }
    if (Array.isArray(body)) {
      if (body.length === 0 || body.length > maxBatch) {
        return send(res, 400, requestError(new TesseraError('BAD_QUERY', `a batch holds 1 to ${maxBatch} operations, got ${body.length}`)));
      }
      return send(res, 200, await Promise.all(body.map((op) => run(op as GraphqlRequest, tenant, 'POST'))));
    }
    return send(res, 200, await run(body as GraphqlRequest, tenant, 'POST'));
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      const coded = asTesseraError(err);
      opts.logger.error({ err }, 'GraphQL request failed');
      if (!res.headersSent) send(res, httpStatusOf(coded), requestError(coded));
      else res.destroy();
    });
  };
  return Object.assign(handler, { close: () => run.close() });
}
