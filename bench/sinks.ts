// Receivers for benchmarks, in their own processes so they do not share a core with what is
// measured: a discard sink (reads the body, answers 200, keeps nothing).

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const DISCARD = `
const http = require('node:http');
let spans = 0, bytes = 0;
const s = http.createServer((req, res) => {
  req.on('data', (c) => { bytes += c.length; });
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' }); res.end(); });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: s.address().port })));
process.on('SIGTERM', () => process.exit(0));
`;

export interface SinkProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startDiscardSink(): Promise<SinkProcess> {
  const child = spawn(process.execPath, ['-e', DISCARD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`discard sink exited with ${code}`)));
  });
  const { port } = JSON.parse(first) as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
