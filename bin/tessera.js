#!/usr/bin/env -S node --max-semi-space-size=64
// The `tessera` executable: loads the TypeScript sources through tsx's ESM loader.
// A node allocates mostly short-lived objects (decoded spans, enrichment, view rows): a 64 MB
// young generation (V8's default is 16 MB) halves the time spent in scavenges and lifts
// sent → queryable by ~10 % (docs/adr/014). `npm start` passes the same flag.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
