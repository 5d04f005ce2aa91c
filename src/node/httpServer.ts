// The main HTTP port (default 2020): GraphQL, Jaeger-UI JSON import, health, readiness.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface MainHttpRoutes {
  graphql?: Handler;
  importJaeger?: Handler;
  /** Extra exact-path routes (metrics, console…). */
  extra?: Record<string, Handler>;
  isReady: () => boolean;
}

export interface MainHttpServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

export async function startMainHttp(host: string, port: number, routes: MainHttpRoutes): Promise<MainHttpServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') return routes.isReady() ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: 'starting' });
    if (path === '/graphql' && routes.graphql) return routes.graphql(req, res);
    if (path === '/api/import/jaeger' && routes.importJaeger) return routes.importJaeger(req, res);
    const extra = routes.extra?.[path];
    if (extra) return extra(req, res);
    json(res, 404, { error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${path}` } });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
