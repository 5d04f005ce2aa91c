// The span-log entry codec on one core: encodeSpanBatch / decodeSpanBatch spans/s, next to the
// machine's ceilings measured in the same run — protobufjs' reflection decode of the same bytes
// (no Span objects built) and its reflection encode of the same message already built (no
// string table, no Span objects read) — and JSON for contrast. Rates are per second of CPU time, which a
// busy shared machine disturbs less than wall time.
//   node --import tsx bench/spanlog-codec.ts [--json] [--seconds 2] [--batch 100]

import { decodeSpanBatch, encodeSpanBatch, spanLogRoot } from '../src/store/codec.ts';
import type { Span } from '../src/model/span.ts';
import { sampleSpans } from '../test/store/spanlog-fixtures.ts';
import { type Figure, perSec, report, timeLoop } from './figures.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const seconds = arg('seconds', 2);
const batchSize = arg('batch', 100);
const SpanBatch = spanLogRoot.lookupType('tessera.spanlog.v1.SpanBatch');

// 50 batches of realistic spans (10 attributes, events, links), passed through JSON so that
// every string is its own instance, as after a receiver's decode; spans of one service share
// one resource object, as a receiver builds them per ResourceSpans.
function decodedLike(spans: Span[]): Span[] {
  const copy = JSON.parse(JSON.stringify(spans)) as Span[];
  const resources = new Map<string, Span['resource']>();
  for (const s of copy) {
    const shared = resources.get(s.serviceName);
    if (shared) s.resource = shared;
    else resources.set(s.serviceName, s.resource);
  }
  return copy;
}
const batches: Span[][] = Array.from({ length: 50 }, (_, i) => decodedLike(sampleSpans(batchSize, { seed: i + 1, spansPerTrace: 20 })));
const encoded = batches.map(encodeSpanBatch);
const jsonEncoded = batches.map((b) => JSON.stringify(b));
const bytesPerSpan = encoded.reduce((n, e) => n + e.byteLength, 0) / (batches.length * batchSize);
const jsonBytesPerSpan = jsonEncoded.reduce((n, e) => n + Buffer.byteLength(e), 0) / (batches.length * batchSize);

function rate(fn: (i: number) => void): { wall: number; cpu: number } {
  let i = 0;
  const step = (): number => {
    fn(i++ % batches.length);
    return batchSize;
  };
  timeLoop(300, step); // warm-up: let the JIT settle
  const r = timeLoop(seconds * 1000, step);
  return { wall: perSec(r.units, r.elapsedMs), cpu: perSec(r.units, r.cpuMs) };
}

const messages = encoded.map((e) => SpanBatch.decode(e));
const ceiling = rate((i) => SpanBatch.decode(encoded[i]));
const encodeCeiling = rate((i) => SpanBatch.encode(messages[i]).finish());
const decode = rate((i) => decodeSpanBatch(encoded[i]));
const encode = rate((i) => encodeSpanBatch(batches[i]));
// The view store keeps one blob per trace: the same spans encoded one trace at a time.
const tracesOf = (spans: Span[]): Span[][] => {
  const traces = new Map<string, Span[]>();
  for (const s of spans) traces.set(s.traceId, [...(traces.get(s.traceId) ?? []), s]);
  return [...traces.values()];
};
const byTrace = batches.map(tracesOf);
const encodePerTrace = rate((i) => {
  for (const trace of byTrace[i]) encodeSpanBatch(trace);
});
const jsonParse = rate((i) => JSON.parse(jsonEncoded[i]));
const jsonStringify = rate((i) => JSON.stringify(batches[i]));

const figures: Figure[] = [
  { id: 'codec.ceiling', label: 'protobufjs reflection decode (ceiling)', value: ceiling.cpu, unit: 'spans/s', better: 'higher' },
  { id: 'codec.decode', label: 'decodeSpanBatch -> Span[]', value: decode.cpu, unit: 'spans/s', ceiling: 'codec.ceiling', better: 'higher' },
  { id: 'codec.encodeCeiling', label: 'protobufjs reflection encode (ceiling)', value: encodeCeiling.cpu, unit: 'spans/s', better: 'higher' },
  { id: 'codec.encode', label: 'encodeSpanBatch <- Span[]', value: encode.cpu, unit: 'spans/s', ceiling: 'codec.encodeCeiling', better: 'higher' },
  { id: 'codec.encodeTrace', label: 'encodeSpanBatch, one trace (20 spans) a batch', value: encodePerTrace.cpu, unit: 'spans/s', ceiling: 'codec.encodeCeiling', better: 'higher' },
  { id: 'codec.jsonParse', label: 'JSON.parse of the same spans', value: jsonParse.cpu, unit: 'spans/s', ceiling: 'codec.ceiling', better: 'higher' },
  { id: 'codec.jsonStringify', label: 'JSON.stringify of the same spans', value: jsonStringify.cpu, unit: 'spans/s', ceiling: 'codec.ceiling', better: 'higher' },
  { id: 'codec.bytes', label: 'SpanBatch bytes per span', value: bytesPerSpan, unit: 'B', better: 'lower' },
  { id: 'codec.jsonBytes', label: 'JSON bytes per span', value: jsonBytesPerSpan, unit: 'B', better: 'lower' },
];
report(`span-log codec, batches of ${batchSize} spans, ${seconds} s each, per CPU-second (wall: decode ${Math.round(decode.wall)}, encode ${Math.round(encode.wall)} spans/s)`, figures);
