// GraphQL over HTTP on /graphql: POST with one operation or a JSON array of operations (the
// Apollo batch form, answered with an array in the same order), GET with ?query=, CORS. The
// tenant is the `x-tenant-id` header, else the default. A thin edge: it parses, validates
// and executes against the schema with a per-request context and a per-operation deadline.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { TesseraError, asTesseraError, httpStatusOf } from '../errors.ts';
import type { ViewStore } from '../store/api.ts';
import { catalog as defaultCatalog, type AttributeCatalog } from './catalog.ts';
import { formatGraphqlError, requestError } from './errors.ts';
import type { GatewayContext } from './graphqlTypes.ts';
import { schema as defaultSchema } from './schema.ts';

export interface GraphqlHttpOptions {
  store: ViewStore;
  defaultTenant: string;
  logger: Logger;
  /** Each operation's deadline; past it the answer is a DEADLINE_EXCEEDED error. */
  queryTimeoutMs: number;
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

/** Runs GraphQL operations for one tenant: parse (cached), validate, execute, code errors. */
export function buildGraphqlExecutor(opts: GraphqlHttpOptions) {
  const schema = opts.schema ?? defaultSchema;
  const catalog = opts.catalog ?? defaultCatalog;
  // Clients repeat the same query texts (dashboards, polling): parse and validate each once.
  const documents = new LRUCache<string, DocumentNode | readonly GraphQLError[]>({
    max: 1000,
    maxSize: 8 * 1024 * 1024,
    sizeCalculation: (_doc, query) => query.length + 1,
  });

  const documentOf = (query: string): DocumentNode | readonly GraphQLError[] => {
    const cached = documents.get(query);
    if (cached) return cached;
    let result: DocumentNode | readonly GraphQLError[];
    try {
      const doc = parse(query);
      const errors = validate(schema, doc, specifiedRules);
      result = errors.length > 0 ? errors : doc;
    } catch (err) {
      result = [err instanceof GraphQLError ? err : new GraphQLError(String(err))];
    }
    documents.set(query, result);
    return result;
  };

  const formatted = (result: ExecutionResult): FormattedExecutionResult => ({
    ...(result.errors ? { errors: result.errors.map((e) => formatGraphqlError(e, opts.logger)) } : {}),
    ...(result.data === undefined ? {} : { data: result.data }),
  });

  return async function run(op: GraphqlRequest, tenant: string, method: string): Promise<FormattedExecutionResult> {
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
    const contextValue: GatewayContext = { tenant, store: opts.store, catalog, logger: opts.logger };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<FormattedExecutionResult>((resolve) => {
      timer = setTimeout(
        () => resolve(requestError(new TesseraError('DEADLINE_EXCEEDED', `the query ran past its ${opts.queryTimeoutMs} ms deadline`))),
        opts.queryTimeoutMs,
      );
    });
    try {
      const execution = Promise.resolve(
        execute({ schema, document: doc as DocumentNode, contextValue, variableValues: (op.variables as Record<string, unknown>) ?? undefined, operationName }),
      ).then(formatted);
      return await Promise.race([execution, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The `/graphql` request handler (mount it on the main HTTP port). */
export function buildGraphqlHttpHandler(opts: GraphqlHttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
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

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const coded = asTesseraError(err);
      opts.logger.error({ err }, 'GraphQL request failed');
      if (!res.headersSent) send(res, httpStatusOf(coded), requestError(coded));
      else res.destroy();
    });
  };
}
