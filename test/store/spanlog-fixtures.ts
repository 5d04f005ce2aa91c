// Span generators for the span-log tests and the codec benchmark: seeded, so a failure can be
// replayed, and shaped like real traffic (a few services sharing resources, HTTP/DB attributes,
// events, links).

import type { Span, SpanKind } from '../../src/model/span.ts';

/** A small deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomHex(random: () => number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) s += Math.floor(random() * 16).toString(16);
  return s;
}

const SERVICES = ['frontend', 'customer', 'driver', 'route', 'mysql', 'redis'];
const KINDS: SpanKind[] = ['SERVER', 'CLIENT', 'INTERNAL', 'PRODUCER', 'CONSUMER'];

export interface SampleOptions {
  seed?: number;
  tenant?: string;
  /** Spans per trace (the trace id changes every this many spans). */
  spansPerTrace?: number;
}

/**
 * `count` realistic spans: ~10 attributes each, a resource shared per service (one object per
 * service, as receivers build them), one event on every third span, a link on every tenth.
 */
export function sampleSpans(count: number, opts: SampleOptions = {}): Span[] {
  const random = seededRandom(opts.seed ?? 1);
  const tenant = opts.tenant ?? 'acme';
  const perTrace = opts.spansPerTrace ?? 20;
  const resources = SERVICES.map((service, i) => ({
    'service.name': service,
    'host.name': `${service}-${i}.prod.internal`,
    'telemetry.sdk.language': i % 2 ? 'go' : 'nodejs',
    'deployment.environment': 'production',
  }));
  const spans: Span[] = [];
  let traceId = '';
  let parents: string[] = [];
  const base = 1_760_000_000_000_000 + Math.floor(random() * 1e9);
  for (let i = 0; i < count; i++) {
    if (i % perTrace === 0) {
      traceId = randomHex(random, 32);
      parents = [];
    }
    const s = Math.floor(random() * SERVICES.length);
    const spanId = randomHex(random, 16);
    const startUs = base + i * 137;
    const status = random() < 0.05 ? 2 : 0;
    spans.push({
      tenant,
      traceId,
      spanId,
      parentSpanId: parents.length ? parents[Math.floor(random() * parents.length)] : '',
      name: `HTTP GET /customer/${s}`,
      kind: KINDS[i % KINDS.length],
      serviceName: SERVICES[s],
      startUs,
      endUs: startUs + Math.floor(random() * 250_000),
      statusCode: status,
      statusMessage: status ? 'upstream timed out' : '',
      attributes: {
        'http.method': 'GET',
        'http.url': `http://${SERVICES[s]}:8080/customer?customer=${Math.floor(random() * 1000)}`,
        'http.status_code': status ? '503' : '200',
        'http.user_agent': 'Go-http-client/1.1',
        'net.peer.ip': `10.0.${s}.${Math.floor(random() * 255)}`,
        'net.peer.port': '8080',
        component: 'net/http',
        'db.system': s === 4 ? 'mysql' : '',
        'request.id': randomHex(random, 12),
        'thread.name': `worker-${i % 8}`,
      },
      resource: resources[s],
      events: i % 3 === 0 ? [{ timeUs: startUs + 15, name: 'log', attributes: { event: 'cache miss', level: 'info' } }] : [],
      links: i % 10 === 9 ? [{ traceId: randomHex(random, 32), spanId: randomHex(random, 16), refType: 'FOLLOWS_FROM' }] : [],
    });
    parents.push(spanId);
  }
  return spans;
}

/**
 * Resolves with the first truthy value of `probe`, polled until `timeoutMs` passes; rejects
 * then, naming what was awaited. A condition wait with a deadline, never a fixed sleep.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
