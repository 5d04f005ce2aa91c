// The decode ceiling: how many spans/s one core decodes from OTLP/protobuf (protobufjs, no
// model objects built), next to the full decode into Tessera's span model. Input is the load
// generator's own traffic, so the ceiling and the end-to-end runs see the same bytes.
//   node --import tsx bench/decode-ceiling.ts [--json] [--seconds 3] [--batch 512]

import { decodeOtlpProto, decodeOtlpProtoRaw } from '../src/ingest/otlp-proto.ts';
import { encodeOtlpProto } from '../src/loadgen/encode/otlp-proto.ts';
import { TraceGenerator } from '../src/loadgen/generator.ts';
import type { GenSpan } from '../src/loadgen/model.ts';
import { type Figure, perSec, report, timeLoop } from './figures.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const seconds = arg('seconds', 3);
const batch = arg('batch', 512);

const gen = new TraceGenerator({ seed: 'bench' });
const spans: GenSpan[] = [];
for (let i = 0; spans.length < 50 * batch; i++) spans.push(...gen.next(Date.now() * 1000 + i).spans);
const bodies: Uint8Array[] = [];
for (let i = 0; i + batch <= spans.length; i += batch) bodies.push(Buffer.from(encodeOtlpProto(spans.slice(i, i + batch))));
const wireBytes = bodies.reduce((n, b) => n + b.byteLength, 0) / (bodies.length * batch);

let next = 0;
const warm = (fn: (b: Uint8Array) => unknown): void => {
  for (let i = 0; i < 200; i++) fn(bodies[i % bodies.length]);
};
warm(decodeOtlpProtoRaw);
const raw = timeLoop(seconds * 1000, () => {
  decodeOtlpProtoRaw(bodies[next++ % bodies.length]);
  return batch;
});
warm((b) => decodeOtlpProto(b, 't'));
const full = timeLoop(seconds * 1000, () => decodeOtlpProto(bodies[next++ % bodies.length], 't').spans.length);

const figures: Figure[] = [
  // Bimodal per process (a fast or a ~5× slower JIT state of protobufjs' decoder): bench/run.ts
  // takes the best of its runs as the ceiling.
  { id: 'decode.raw', label: 'OTLP protobuf decode only (1 core)', value: perSec(raw.units, raw.cpuMs), unit: 'spans/s', better: 'higher', summary: 'best' },
  { id: 'decode.model', label: 'decode into Tessera spans (1 core)', value: perSec(full.units, full.cpuMs), unit: 'spans/s', ceiling: 'decode.raw', better: 'higher' },
  { id: 'decode.wire', label: 'wire size', value: wireBytes, unit: 'B/span' },
];
report(`Decode ceiling (${batch} spans per request, ${spans[0].attributes.length}+ attributes per span; rates per CPU-second)`, figures);
