// The record of every generated trace (id, span count, services, time span) and how much of it
// the receiver acknowledged: what `--verify` checks against the store, and what cluster and
// crash tests read back. Written as JSON lines, one trace per line.

import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { invalid } from '../errors.ts';
import type { GenTrace } from './model.ts';

export interface TraceRecord {
  traceId: string;
  /** Distinct spans in the trace (duplicates sent by fault injection are not counted). */
  spans: number;
  services: string[];
  startUs: number;
  endUs: number;
  /** Distinct spans the receiver acknowledged. */
  acked: number;
  /** Some span of it was refused, given up on, or inside a partial success. */
  refused: boolean;
  /** One of its spans was held back and sent after the window (--late-spans). */
  late: boolean;
}

export const isAcknowledged = (r: TraceRecord): boolean => !r.refused && r.acked === r.spans;

export class Manifest {
  readonly records: TraceRecord[] = [];

  /** Adds a generated trace; returns its index (the owner id its spans carry). */
  add(trace: GenTrace): number {
    this.records.push({
      traceId: trace.traceId, spans: trace.spans.length, services: trace.services,
      startUs: trace.startUs, endUs: trace.endUs, acked: 0, refused: false, late: false,
    });
    return this.records.length - 1;
  }

  acknowledged(): TraceRecord[] {
    return this.records.filter(isAcknowledged);
  }

  async write(path: string): Promise<void> {
    const lines = this.records.map((r) => JSON.stringify({
      traceId: r.traceId, spans: r.spans, services: r.services, startUs: r.startUs, endUs: r.endUs,
      acknowledged: isAcknowledged(r), ...(r.late ? { late: true } : {}),
    }));
    await writeFile(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  }

  /** Reads a manifest written by `write`; throws INVALID_ARGUMENT naming the bad line. */
  static async read(path: string): Promise<Manifest> {
    const manifest = new Manifest();
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let row: { traceId?: unknown; spans?: unknown; services?: unknown; startUs?: unknown; endUs?: unknown; acknowledged?: unknown; late?: unknown };
      try {
        row = JSON.parse(line) as typeof row;
      } catch {
        throw invalid(`manifest ${path} line ${n}: not JSON`);
      }
      if (typeof row.traceId !== 'string' || typeof row.spans !== 'number') {
        throw invalid(`manifest ${path} line ${n}: needs traceId (string) and spans (number)`);
      }
      const spans = row.spans;
      manifest.records.push({
        traceId: row.traceId, spans, services: Array.isArray(row.services) ? row.services.map(String) : [],
        startUs: Number(row.startUs ?? 0), endUs: Number(row.endUs ?? 0),
        acked: row.acknowledged === false ? 0 : spans, refused: row.acknowledged === false, late: row.late === true,
      });
    }
    return manifest;
  }
}
