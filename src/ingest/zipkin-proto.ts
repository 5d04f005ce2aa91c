// Zipkin v2 proto3 (`ListOfSpans`, application/x-protobuf on `/api/v2/spans`) → internal spans.
// Each span is turned into its JSON shape (hex ids, dotted addresses, absent zeros) and goes
// through the same rules as Zipkin JSON.

import { isIPv4 } from 'node:net';
import { invalid } from '../errors.ts';
import type { Span } from '../model/span.ts';
import { hexOf } from './normalize.ts';
import { ZipkinListOfSpans } from './protos.ts';
import { zipkinSpans } from './zipkin-json.ts';

type Int64 = { toNumber(): number } | number;

interface PbEndpoint {
  serviceName: string;
  ipv4: Uint8Array;
  ipv6: Uint8Array;
  port: number;
}
interface PbSpan {
  traceId: Uint8Array;
  parentId: Uint8Array;
  id: Uint8Array;
  kind: number;
  name: string;
  timestamp: Int64;
  duration: Int64;
  localEndpoint?: PbEndpoint | null;
  remoteEndpoint?: PbEndpoint | null;
  annotations: Array<{ timestamp: Int64; value: string }>;
  tags: Record<string, string>;
}

const KINDS = [undefined, 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'];

/** Decodes a serialized ListOfSpans; throws INVALID_ARGUMENT. */
export function decodeZipkinProto(buf: Uint8Array, tenant: string): Span[] {
  let list: { spans: PbSpan[] };
  try {
    list = ZipkinListOfSpans.decode(buf) as unknown as typeof list;
  } catch (err) {
    throw invalid(`Zipkin protobuf: body is not a ListOfSpans (${(err as Error).message})`);
  }
  return zipkinSpans(list.spans.map(jsonShape), tenant, 'Zipkin protobuf');
}

function jsonShape(pb: PbSpan): Record<string, unknown> {
  const timestamp = num(pb.timestamp);
  const duration = num(pb.duration);
  const parent = bytes(pb.parentId);
  return {
    traceId: hexOf(bytes(pb.traceId)),
    id: hexOf(bytes(pb.id)),
    parentId: parent.length > 0 ? hexOf(parent) : undefined,
    kind: KINDS[pb.kind] ?? (pb.kind ? 'UNKNOWN' : undefined),
    name: pb.name,
    timestamp: timestamp || undefined,
    duration: duration || undefined,
    localEndpoint: endpoint(pb.localEndpoint),
    remoteEndpoint: endpoint(pb.remoteEndpoint),
    annotations: pb.annotations.map((a) => ({ timestamp: num(a.timestamp), value: a.value })),
    tags: pb.tags,
  };
}

function endpoint(e: PbEndpoint | null | undefined): Record<string, unknown> | undefined {
  if (!e) return undefined;
  const v4 = bytes(e.ipv4);
  const v6 = bytes(e.ipv6);
  const ipv4 = v4.length === 4 ? Array.from(v4).join('.') : undefined;
  const ipv6 = v6.length === 16 ? (hexOf(v6).match(/.{4}/g) as string[]).join(':') : undefined;
  return { serviceName: e.serviceName || undefined, ipv4: ipv4 && isIPv4(ipv4) ? ipv4 : undefined, ipv6, port: e.port || undefined };
}

function num(v: Int64): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/** protobufjs leaves an absent bytes field as its default, which may be a plain array. */
function bytes(v: Uint8Array | number[] | undefined): Uint8Array {
  return v instanceof Uint8Array ? v : Uint8Array.from(v ?? []);
}
