// Node options: declared once (flag, environment variable, default, parser), validated once at
// start-up with a message that names the bad setting. Environment variables are read only here.
import { TesseraError } from '../errors.ts';
import { DEFAULT_TENANT } from '../model/span.ts';

export type Role = 'ingest' | 'process' | 'query';
export const ALL_ROLES: readonly Role[] = ['ingest', 'process', 'query'];

export interface NodeOptions {
  dataDir: string;
  host: string;
  httpPort: number;
  otlpGrpcPort: number;
  otlpHttpPort: number;
  zipkinPort: number;
  jaegerGrpcPort: number;
  windowMs: number;
  writeLingerMs: number;
  redis: string | undefined;
  postgres: string | undefined;
  tenantDefault: string;
  partitions: number;
  leaseTtlMs: number;
  nodeId: string | undefined;
  roles: Role[];
  maxBodyBytes: number;
  maxBacklogSpans: number;
  maxInflightSpans: number;
  maxOpenSpansPerPartition: number;
  queryTimeoutMs: number;
  logLevel: string;
}

type Parse = (raw: string, name: string) => unknown;

export interface OptionSpec {
  key: keyof NodeOptions;
  flag: string;
  env: string;
  description: string;
  default: string | undefined;
  parse: Parse;
}

const bad = (name: string, raw: string, want: string): TesseraError =>
  new TesseraError('CONFIG', `invalid setting ${name}=${JSON.stringify(raw)}: expected ${want}`);

const integer = (min: number, max: number): Parse => (raw, name) => {
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) throw bad(name, raw, `an integer from ${min} to ${max}`);
  return n;
};
const port = integer(0, 65535);
const text: Parse = (raw, name) => {
  if (raw.trim() === '') throw bad(name, raw, 'a non-empty value');
  return raw.trim();
};
const optionalText: Parse = (raw) => (raw.trim() === '' ? undefined : raw.trim());
const redisUrl: Parse = (raw, name) => {
  if (raw.trim() === '') return undefined;
  if (!/^rediss?:\/\//.test(raw)) throw bad(name, raw, 'a redis:// or rediss:// URL');
  return raw;
};
const postgresUrl: Parse = (raw, name) => {
  if (raw.trim() === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) throw bad(name, raw, 'a postgres:// or postgresql:// URL');
  return raw;
};
const roles: Parse = (raw, name) => {
  const list = raw.split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of list) if (!ALL_ROLES.includes(r as Role)) throw bad(name, raw, `a comma-separated subset of ${ALL_ROLES.join(',')}`);
  if (list.length === 0) throw bad(name, raw, 'at least one role');
  return list;
};
const logLevel: Parse = (raw, name) => {
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw)) throw bad(name, raw, 'a pino log level');
  return raw;
};

const spec = (key: keyof NodeOptions, flag: string, description: string, def: string | undefined, parse: Parse): OptionSpec => ({
  key,
  flag,
  env: `TESSERA_${flag.replace(/-/g, '_').toUpperCase()}`,
  description,
  default: def,
  parse,
});

export const OPTION_SPECS: readonly OptionSpec[] = [
  spec('dataDir', 'data-dir', 'directory for the embedded store', './data', text),
  spec('host', 'host', 'address every listener binds', '0.0.0.0', text),
  spec('httpPort', 'http-port', 'GraphQL, import, health and metrics port (0 = any free port)', '2020', port),
  spec('otlpGrpcPort', 'otlp-grpc-port', 'OTLP/gRPC receiver port', '4317', port),
  spec('otlpHttpPort', 'otlp-http-port', 'OTLP/HTTP receiver port', '4318', port),
  spec('zipkinPort', 'zipkin-port', 'Zipkin v2 receiver port', '9411', port),
  spec('jaegerGrpcPort', 'jaeger-grpc-port', 'Jaeger gRPC receiver port', '14250', port),
  spec('windowMs', 'window-ms', 'a trace closes after this long without a new span', '5000', integer(10, 3_600_000)),
  spec('writeLingerMs', 'write-linger-ms', 'closed traces wait up to this long for more before a small view-store write starts (fewer, larger writes)', '250', integer(0, 60_000)),
  spec('redis', 'redis', 'Redis URL: use Redis Streams as the span log', undefined, redisUrl),
  spec('postgres', 'postgres', 'PostgreSQL URL: the shared view and entity store (cluster mode)', undefined, postgresUrl),
  spec('tenantDefault', 'tenant-default', 'tenant for requests without x-tenant-id', DEFAULT_TENANT, text),
  spec('partitions', 'partitions', 'span log partitions (fixed for a deployment)', '64', integer(1, 4096)),
  spec('leaseTtlMs', 'lease-ttl-ms', 'cluster: partition lease and heartbeat TTL; a dead node\'s partitions move within about this long', '10000', integer(600, 600_000)),
  spec('nodeId', 'node-id', 'stable consumer name of this node (default: kept in the data dir)', undefined, optionalText),
  spec('roles', 'roles', 'roles this node runs: ingest,process,query', ALL_ROLES.join(','), roles),
  spec('maxBodyBytes', 'max-body-bytes', 'largest accepted request body', String(16 * 1024 * 1024), integer(1024, 1 << 30)),
  spec('maxBacklogSpans', 'max-backlog-spans', 'unacknowledged spans in the log before receivers answer 429', '200000', integer(1, 100_000_000)),
  spec('maxInflightSpans', 'max-inflight-spans', 'spans held open or being written before reading pauses', '200000', integer(1, 100_000_000)),
  spec('maxOpenSpansPerPartition', 'max-open-spans-per-partition', 'open spans in one partition before its oldest traces close early (they are merged again if more spans come)', '50000', integer(1, 100_000_000)),
  spec('queryTimeoutMs', 'query-timeout-ms', 'per-query timeout', '30000', integer(100, 600_000)),
  spec('logLevel', 'log-level', 'pino log level', 'info', logLevel),
];

/**
 * Compiles raw settings (flags already parsed, keyed by option key) over environment
 * variables over defaults. Throws a CONFIG TesseraError naming the first bad setting.
 */
export function compileOptions(flags: Partial<Record<keyof NodeOptions, string>>, env: NodeJS.ProcessEnv = process.env): NodeOptions {
  const out: Record<string, unknown> = {};
  for (const s of OPTION_SPECS) {
    const fromFlag = flags[s.key];
    const fromEnv = env[s.env];
    const raw = fromFlag ?? fromEnv ?? s.default;
    const name = fromFlag !== undefined ? `--${s.flag}` : fromEnv !== undefined ? s.env : `--${s.flag}`;
    out[s.key] = raw === undefined ? undefined : s.parse(String(raw), name);
  }
  return out as unknown as NodeOptions;
}
