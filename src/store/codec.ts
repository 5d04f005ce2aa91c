// The span-log entry codec: Span[] <-> a protobuf SpanBatch (protos/tessera/spanlog.proto).
// The view store keeps encodeSpanBatch(trace.spans) as a BLOB too, so the format only grows by
// new fields (docs/PROTOCOL.md, "Span log"). It drives protobufjs' Reader and Writer directly
// rather than reflection message objects (half the allocations, no long.js objects on the hot
// path); every field number comes from the loaded Root, checked against its declared type.
//
// schema.ts loads the schema and derives the wire tags; encode.ts and decode.ts are the two
// directions.

export { spanLogRoot } from './codec/schema.ts';
export { encodeSpanBatch } from './codec/encode.ts';
export { decodeSpanBatch } from './codec/decode.ts';
