// The view store's read connections: a DuckDB connection runs one statement at a time, so
// queries take turns on a small pool and a slow one never holds up the writer's connection.
import type { DuckDBConnection } from '@duckdb/node-api';

/** A FIFO pool of connections: each runs one statement at a time. */
export class ConnectionPool {
  private readonly idle: DuckDBConnection[];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];
  private busy = 0;
  private drained: (() => void)[] = [];

  constructor(conns: DuckDBConnection[]) {
    this.idle = [...conns];
  }

  async use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    let conn = this.idle.pop();
    if (conn) this.busy++;
    // A connection handed over by a finishing statement stays counted as busy.
    else conn = await new Promise<DuckDBConnection>((resolve) => this.waiting.push(resolve));
    try {
      return await fn(conn);
    } finally {
      const next = this.waiting.shift();
      if (next) next(conn);
      else {
        this.busy--;
        this.idle.push(conn);
        if (this.busy === 0) for (const done of this.drained.splice(0)) done();
      }
    }
  }

  /** Connections free right now. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Resolves once no statement runs or waits on any connection. */
  async drain(): Promise<void> {
    while (this.busy > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
  }
}
