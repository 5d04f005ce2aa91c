// `tessera loadgen …`: parses its own flags with commander and returns the exit code. The
// lead's src/cli/main.ts routes the subcommand here.

import { Command, CommanderError } from 'commander';
import { asTesseraError } from '../errors.ts';
import { EXIT_USAGE, runLoadgenConfig } from './loadgen.ts';
import { compileOptions, type RawFlags } from './options.ts';
import { PROTOCOLS } from './protocols.ts';
import { reportText, verifyText } from './report.ts';

function program(): Command {
  return new Command('tessera loadgen')
    .description('Send realistic synthetic traces at a target rate, report what was acknowledged, and optionally verify none was lost.')
    .option('--endpoint <url>', 'where to send (default: the protocol\'s standard localhost port and path)')
    .option('--protocol <name>', `one of ${PROTOCOLS.join(' | ')}`, 'otlp-http-proto')
    .option('--rate <n>', 'target rate per second (0 = as fast as the receiver answers)', '1000')
    .option('--rate-unit <unit>', 'what --rate counts: spans | traces', 'spans')
    .option('--duration <d>', 'length of the paced run, e.g. 30s, 2m', '10s')
    .option('--ramp <d>', 'ramp from 0 to --rate over this long', '0s')
    .option('--seed <seed>', 'same seed, same traces (default: random, printed in the report)')
    .option('--tenant <id>', 'sent as the x-tenant-id header')
    .option('--json', 'print the final report as JSON')
    .option('--verify <graphqlUrl>', 'after the run, check every acknowledged trace through GraphQL; exit 1 on loss')
    .option('--verify-only <manifest>', 'verify a manifest written earlier instead of generating load')
    .option('--verify-settle <d>', 'wait this long after the run before verifying (assembly window)', '6s')
    .option('--verify-timeout <d>', 'keep re-checking wrong traces this long', '60s')
    .option('--freshness', 'time sampled traces from sent to queryable through the --verify GraphQL URL')
    .option('--manifest <path>', 'write the manifest of generated traces (JSON lines)')
    .option('--batch <n>', 'spans per request', '512')
    .option('--concurrency <n>', 'requests in flight', '4')
    .option('--max-retries <n>', 'retries of a retryable answer before giving up', '5')
    .option('--max-backoff <d>', 'longest wait between retries', '5s')
    .option('--linger <d>', 'send a partial batch after this long', '200ms')
    .option('--timeout <d>', 'per request', '10s')
    .option('--gzip', 'compress requests')
    .option('--services <n>', 'services in the synthetic application', '8')
    .option('--apis <n>', 'APIs per service (about)', '3')
    .option('--depth <n>', 'longest chain of service calls', '4')
    .option('--attributes <n>', 'attributes per span (padded with application attributes)', '12')
    .option('--error-rate <f>', 'probability that a call fails by itself', '0.02')
    .option('--event-rate <f>', 'probability that a span carries a log event', '0.05')
    .option('--latency-scale <f>', 'multiplies every latency', '1')
    .option('--clock-skew <d>', 'skew about half the services\' clocks by up to this much', '0ms')
    .option('--late-spans <f>', 'fraction of traces with one span sent after the window')
    .option('--late-after <d>', 'how late a late span is sent', '7s')
    .option('--duplicates <f>', 'fraction of spans sent twice')
    .option('--out-of-order', 'shuffle each trace\'s spans')
    .option('--huge-trace <n>', 'also send one trace of this many spans')
    .option('--progress', 'print a progress line every second (default: on a terminal)')
    .option('--no-progress', 'never print progress lines')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
}

/** commander names options in camelCase; the configuration names them as typed. */
function kebabKeys(opts: Record<string, unknown>): RawFlags {
  const out: RawFlags = {};
  for (const [k, v] of Object.entries(opts)) out[k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)] = v as string | boolean | undefined;
  return out;
}

export async function runLoadgen(argv: string[]): Promise<number> {
  const cmd = program();
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    throw err;
  }
  const tty = process.stderr.isTTY === true;
  let cfg;
  try {
    cfg = compileOptions(kebabKeys(cmd.opts()), tty);
  } catch (err) {
    process.stderr.write(`tessera loadgen: ${asTesseraError(err).message}\n`);
    return EXIT_USAGE;
  }
  let stop: (() => void) | null = null;
  const onSigint = (): void => {
    if (stop === null) process.exit(130);
    process.stderr.write('\nstopping: sending what is queued (Ctrl-C again to quit now)\n');
    stop();
    stop = null;
  };
  process.on('SIGINT', onSigint);
  try {
    const outcome = await runLoadgenConfig(cfg, {
      progress: (line) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
      info: (line) => process.stderr.write(`${tty ? '\r\x1b[2K' : ''}${line}\n`),
      onRunner: (runner) => (stop = () => runner.stop()),
    });
    if (tty && cfg.progress) process.stderr.write('\n');
    if (cfg.json) process.stdout.write(`${JSON.stringify(outcome.report ?? { verify: outcome.verify }, null, 2)}\n`);
    else if (outcome.report !== null) process.stdout.write(`${reportText(outcome.report)}\n`);
    else if (outcome.verify !== null) process.stdout.write(`${verifyText(outcome.verify).join('\n')}\n`);
    return outcome.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
