// How many units (spans or traces) a run may have produced `t` ms after it started: a linear
// ramp from zero to `rate` over `rampMs`, then flat. The runner sends what this allows and no
// more, so the achieved rate converges on the target instead of bursting.

export class Pacer {
  constructor(
    /** Units per second; 0 means as fast as the receiver answers. */
    readonly rate: number,
    readonly rampMs: number,
  ) {}

  get unlimited(): boolean {
    return this.rate <= 0;
  }

  /** Cumulative units allowed at `t` ms. */
  allowedAt(t: number): number {
    if (this.unlimited) return Infinity;
    const perMs = this.rate / 1000;
    const ramp = this.rampMs;
    if (t <= 0) return 0;
    if (t < ramp) return (perMs * t * t) / (2 * ramp);
    return perMs * (t - ramp / 2);
  }

  /** The time (ms) at which `units` become allowed. */
  timeFor(units: number): number {
    if (this.unlimited) return 0;
    const perMs = this.rate / 1000;
    const ramp = this.rampMs;
    if (units <= (perMs * ramp) / 2) return Math.sqrt((2 * ramp * units) / perMs);
    return units / perMs + ramp / 2;
  }
}
