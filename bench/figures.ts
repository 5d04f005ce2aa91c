// What every Tessera benchmark scenario reports: named figures with units, and, where the
// machine has a ceiling for it, the id of the figure that is its ceiling (measured in the same
// run). A scenario run with --json prints its figures as one JSON line last, for bench/run.ts.

export interface Figure {
  /** Stable id, `scenario.figure`, referenced by ceilings. */
  id: string;
  label: string;
  value: number;
  unit: string;
  /** Id of the figure this one is compared with (ratio = value / ceiling). */
  ceiling?: string;
  /** Higher is better (rates) or lower is better (latency, bytes). */
  better?: 'higher' | 'lower';
  /** When the script repeats itself (`value` is then their median): one value per repeat, for min – max. */
  samples?: number[];
  /**
   * How bench/run.ts summarizes repeated runs: the median (default), or the best run for a
   * ceiling whose runs are bimodal (the protobufjs decode lands in a fast or a ~5× slower JIT
   * state per process): a ceiling is what the machine can do, not what it usually does.
   */
  summary?: 'median' | 'best';
}

export const fmt = (v: number): string =>
  Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 });

export function printFigures(title: string, figures: readonly Figure[]): void {
  const byId = new Map(figures.map((f) => [f.id, f]));
  console.log(title);
  for (const f of figures) {
    const ceiling = f.ceiling === undefined ? undefined : byId.get(f.ceiling);
    const ratio = ceiling === undefined || ceiling.value === 0 ? '' : `  (${((100 * f.value) / ceiling.value).toFixed(0)} % of ${ceiling.label})`;
    const range = f.samples !== undefined && f.samples.length > 1 ? `  [${fmt(Math.min(...f.samples))} – ${fmt(Math.max(...f.samples))}]` : '';
    console.log(`  ${f.label.padEnd(44)} ${fmt(f.value).padStart(12)} ${f.unit}${range}${ratio}`);
  }
}

/** Prints figures for a person, and as a JSON line when run by bench/run.ts. */
export function report(title: string, figures: readonly Figure[]): void {
  printFigures(title, figures);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ figures }));
}

/** Runs `fn` repeatedly for at least `ms`, returning iterations and elapsed ms. */
export function timeLoop(ms: number, fn: () => number): { units: number; elapsedMs: number; cpuMs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let units = 0;
  while (performance.now() - t0 < ms) units += fn();
  const cpu = process.cpuUsage(cpu0);
  return { units, elapsedMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export const perSec = (units: number, ms: number): number => (units * 1000) / ms;

/** True when this module is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && new URL(url).pathname === process.argv[1];
}
