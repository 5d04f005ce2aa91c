// What surrounds a span's protocol attributes: the resource of each service, application
// attributes that pad a span up to the requested attribute count, exception events on errors
// and occasional log events.

import { type Attr, type GenEvent, type GenResource, bool, int, shared, str } from './model.ts';
import type { Rng } from './rng.ts';
import type { Language, ServiceModel } from './topology.ts';

const SDK_VERSION: Record<Language, string> = {
  java: '1.40.0', go: '1.28.0', nodejs: '1.25.1', python: '1.26.0', dotnet: '1.9.0',
};
const RUNTIME: Record<Language, string> = {
  java: 'OpenJDK Runtime Environment', go: 'go', nodejs: 'nodejs', python: 'cpython', dotnet: '.NET',
};
const SCOPE: Record<Language, string> = {
  java: 'io.opentelemetry.tomcat-10.0', go: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp',
  nodejs: '@opentelemetry/instrumentation-http', python: 'opentelemetry.instrumentation.flask', dotnet: 'OpenTelemetry.Instrumentation.AspNetCore',
};

export function resourceOf(svc: ServiceModel, rng: Rng): GenResource {
  const pod = `${svc.name}-${rng.hex(5).slice(0, 10)}-${rng.hex(3).slice(0, 5)}`;
  const attrs: Attr[] = [
    str('service.name', svc.name), str('service.namespace', 'shop'), str('service.version', `1.${svc.index}.${rng.int(20)}`),
    str('service.instance.id', rng.hex(16)), str('telemetry.sdk.name', 'opentelemetry'),
    str('telemetry.sdk.language', svc.language === 'nodejs' ? 'nodejs' : svc.language), str('telemetry.sdk.version', SDK_VERSION[svc.language]),
    str('process.runtime.name', RUNTIME[svc.language]), str('host.name', pod), str('k8s.pod.name', pod), str('k8s.namespace.name', 'shop'),
    str(svc.convention === 'semconv-new' ? 'deployment.environment.name' : 'deployment.environment', 'production'),
  ];
  return {
    id: svc.index, serviceName: svc.name, attributes: attrs, scopeName: SCOPE[svc.language],
    scopeVersion: SDK_VERSION[svc.language], ipv4: svc.ipv4, port: svc.port,
  };
}

/**
 * Application attributes, each with a few possible values built once. `pad(n)` picks the
 * first n keys (a stable set per span count, as real code sets the same keys every call).
 */
export class Padding {
  private readonly pool: Attr[][];

  constructor(rng: Rng, maxKeys: number) {
    const named: Array<[string, Attr[]]> = [
      ['app.customer.tier', ['free', 'pro', 'enterprise'].map((v) => str('app.customer.tier', v))],
      ['app.region', ['eu-west-1', 'us-east-1', 'ap-south-1'].map((v) => str('app.region', v))],
      ['app.cache.hit', [true, false].map((v) => bool('app.cache.hit', v))],
      ['app.items.count', [1, 2, 3, 5, 8, 13].map((v) => int('app.items.count', v))],
      ['app.feature.new_checkout', [true, false].map((v) => bool('app.feature.new_checkout', v))],
      ['app.locale', ['en-US', 'de-DE', 'fr-FR', 'ja-JP'].map((v) => str('app.locale', v))],
      ['app.retry.count', [0, 0, 0, 1, 2].map((v) => int('app.retry.count', v))],
      ['app.experiment', ['control', 'variant-a', 'variant-b'].map((v) => str('app.experiment', v))],
      ['thread.name', ['http-nio-8080-exec-1', 'http-nio-8080-exec-7', 'worker-3'].map((v) => str('thread.name', v))],
      ['code.namespace', ['com.shop.api.Controller', 'com.shop.service.Handler'].map((v) => str('code.namespace', v))],
    ];
    this.pool = named.map(([, values]) => shared(values));
    for (let i = this.pool.length; i < maxKeys; i++) {
      const key = `app.custom.attr_${i}`;
      this.pool.push(shared([0, 1, 2, 3].map(() => str(key, rng.hex(6)))));
    }
  }

  /** Appends up to `count` padding attributes to `attrs` (shared objects, no allocation). */
  pad(attrs: Attr[], count: number, rng: Rng): void {
    const n = Math.min(count, this.pool.length);
    for (let i = 0; i < n; i++) {
      const values = this.pool[i];
      attrs.push(values[rng.int(values.length)]);
    }
  }
}

const EXCEPTIONS: Record<Language, Array<[string, string]>> = {
  java: [['java.sql.SQLTransientConnectionException', 'Connection is not available, request timed out after 30000ms'],
    ['java.lang.IllegalStateException', 'order is already settled']],
  go: [['*net.OpError', 'dial tcp 10.0.0.17:5432: connect: connection refused'], ['context.deadlineExceededError', 'context deadline exceeded']],
  nodejs: [['Error', 'ECONNRESET'], ['TypeError', "Cannot read properties of undefined (reading 'id')"]],
  python: [['psycopg2.OperationalError', 'server closed the connection unexpectedly'], ['KeyError', "'customer_id'"]],
  dotnet: [['System.TimeoutException', 'The operation has timed out.'], ['System.InvalidOperationException', 'Sequence contains no elements']],
};

const stackCache = new Map<string, Attr>();
function stackAttr(lang: Language, type: string, message: string): Attr {
  const key = `${lang}:${type}`;
  let attr = stackCache.get(key);
  if (attr === undefined) {
    const frames = ['handle', 'process', 'invoke', 'run'].map((f, i) => `    at com.shop.${f}(${f}.${lang}:${40 + i * 13})`);
    attr = shared([str('exception.stacktrace', `${type}: ${message}\n${frames.join('\n')}`)])[0];
    stackCache.set(key, attr);
  }
  return attr;
}

/** An OTel `exception` event, and the status message to put on the span. */
export function exceptionEvent(lang: Language, rng: Rng, timeUs: number): { event: GenEvent; message: string } {
  const [type, message] = rng.pick(EXCEPTIONS[lang]);
  return {
    event: {
      timeUs, name: 'exception',
      attributes: [str('exception.type', type), str('exception.message', message), stackAttr(lang, type, message)],
    },
    message,
  };
}

const LOG_EVENTS: GenEvent['attributes'][] = [
  shared([str('message', 'cache miss, loading from store'), str('log.severity', 'DEBUG')]),
  shared([str('message', 'validated request'), int('fields', 7)]),
  shared([str('message', 'retrying after transient failure'), int('attempt', 1), str('log.severity', 'WARN')]),
];
const LOG_NAMES = ['cache.miss', 'validation.done', 'retry'];

export function logEvent(rng: Rng, timeUs: number): GenEvent {
  const i = rng.int(LOG_EVENTS.length);
  return { timeUs, name: LOG_NAMES[i], attributes: LOG_EVENTS[i] };
}
