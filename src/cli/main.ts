// The `tessera` command: `start` runs a node, `import` sends a Jaeger-UI JSON export to a
// running node, `loadgen` generates synthetic traces.
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { compileOptions, OPTION_SPECS, type NodeOptions } from '../config/options.ts';
import { TesseraError } from '../errors.ts';

async function runStart(flags: Record<string, string | undefined>): Promise<void> {
  let opts: NodeOptions;
  try {
    opts = compileOptions(flags as Partial<Record<keyof NodeOptions, string>>);
  } catch (err) {
    process.stderr.write(`tessera: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = pino({ level: opts.logLevel, base: { service: 'tessera' } });
  const { startNode } = await import('../node/node.ts');
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    node = await startNode(opts, logger);
  } catch (err) {
    logger.fatal({ err }, 'tessera failed to start');
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: writing open traces');
    node.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function runImport(file: string, o: { url: string; tenant?: string }): Promise<void> {
  const body = await readFile(file);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.tenant) headers['x-tenant-id'] = o.tenant;
  const url = `${o.url.replace(/\/$/, '')}/api/import/jaeger`;
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`tessera import: ${url} answered ${res.status}: ${text}\n`);
    process.exit(1);
  }
  process.stdout.write(`${text}\n`);
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('tessera').description('Tessera distributed tracing backend');

  const start = program.command('start').description('run a node (embedded by default; --redis for the Redis span log)');
  for (const s of OPTION_SPECS) {
    start.addOption(new Option(`--${s.flag} <value>`, `${s.description} [env ${s.env}${s.default !== undefined ? `, default ${s.default}` : ''}]`));
  }
  start.action(async (flags: Record<string, string | undefined>) => runStart(flags));

  program
    .command('import')
    .description('send a Jaeger-UI JSON export ({data:[{traceID,spans,processes}]}) to a running node')
    .argument('<file>', 'the JSON file')
    .option('--url <url>', 'the node main HTTP address', 'http://127.0.0.1:2020')
    .option('--tenant <tenant>', 'tenant id (x-tenant-id)')
    .action(runImport);

  program
    .command('loadgen')
    .description('send synthetic traces at a target rate (see `tessera loadgen --help`)')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[args...]')
    .action(async () => {
      const { runLoadgen } = await import('../loadgen/cli.ts');
      const idx = argv.indexOf('loadgen');
      process.exitCode = await runLoadgen(argv.slice(idx + 1));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const msg = err instanceof TesseraError ? `${err.code}: ${err.message}` : (err as Error).message;
    process.stderr.write(`tessera: ${msg}\n`);
    process.exit(2);
  }
}
