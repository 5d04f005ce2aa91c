// A running node (startTestNode: the same wiring as `tessera start`) with its live wiring and
// the URLs the live tests use.
import { startTestNode, type TestNode } from '../helpers/node.ts';
import type { LiveWiring } from '../../src/live/wire.ts';

export interface LiveNodeOptions {
  windowMs?: number;
  /** Spans acknowledged and not yet written before receivers answer 429 (node default 200 000). */
  maxBacklogSpans?: number;
  /** How long small view-store writes wait for more (node default 250 ms); each write is one live delivery. */
  writeLingerMs?: number;
}

export interface LiveNode {
  test: TestNode;
  live: LiveWiring;
  graphql: string;
  ws: string;
  otlpHttp: string;
}

/** A node with live subscriptions, torn down with the test. */
export async function startLiveNode(t: { teardown(fn: () => unknown): void }, opts: LiveNodeOptions = {}): Promise<LiveNode> {
  const flags: Record<string, string> = { windowMs: String(opts.windowMs ?? 300) };
  if (opts.maxBacklogSpans !== undefined) flags.maxBacklogSpans = String(opts.maxBacklogSpans);
  if (opts.writeLingerMs !== undefined) flags.writeLingerMs = String(opts.writeLingerMs);
  const test = await startTestNode(t, flags);
  return { test, live: test.node.live, graphql: test.graphql, ws: test.graphql.replace('http://', 'ws://'), otlpHttp: test.otlpHttp };
}
