#!/usr/bin/env -S node --min-semi-space-size=64 --max-semi-space-size=64
// The `tessera` executable: loads the TypeScript sources through tsx's ESM loader.
// A node allocates mostly short-lived objects (decoded spans, enrichment, view rows): 64 MB
// semi-spaces for the young generation (V8's default grows to 16 MB) halve the time spent in
// scavenges and lift sent → queryable by ~10 % (ADR 014). Sized from the start, the young
// generation is a fixed cost paid at start rather than growth under the first load. `npm start`
// passes the same flags.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
