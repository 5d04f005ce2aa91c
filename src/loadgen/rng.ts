// A small seeded PRNG (sfc32, seeded through splitmix32) so the same seed gives the same
// topology and the same traces. Math.random cannot be seeded, and a dependency for ~60 lines
// of arithmetic would be heavier than the code.

const HEX_CODE: number[] = Array.from({ length: 16 }, (_, i) => '0123456789abcdef'.charCodeAt(i));
const H = HEX_CODE;

function hexOf2(a: number, b: number): string {
  return String.fromCharCode(
    H[a >>> 28], H[(a >>> 24) & 15], H[(a >>> 20) & 15], H[(a >>> 16) & 15], H[(a >>> 12) & 15], H[(a >>> 8) & 15], H[(a >>> 4) & 15], H[a & 15],
    H[b >>> 28], H[(b >>> 24) & 15], H[(b >>> 20) & 15], H[(b >>> 16) & 15], H[(b >>> 12) & 15], H[(b >>> 8) & 15], H[(b >>> 4) & 15], H[b & 15],
  );
}

function hexOf4(a: number, b: number, c: number, d: number): string {
  return String.fromCharCode(
    H[a >>> 28], H[(a >>> 24) & 15], H[(a >>> 20) & 15], H[(a >>> 16) & 15], H[(a >>> 12) & 15], H[(a >>> 8) & 15], H[(a >>> 4) & 15], H[a & 15],
    H[b >>> 28], H[(b >>> 24) & 15], H[(b >>> 20) & 15], H[(b >>> 16) & 15], H[(b >>> 12) & 15], H[(b >>> 8) & 15], H[(b >>> 4) & 15], H[b & 15],
    H[c >>> 28], H[(c >>> 24) & 15], H[(c >>> 20) & 15], H[(c >>> 16) & 15], H[(c >>> 12) & 15], H[(c >>> 8) & 15], H[(c >>> 4) & 15], H[c & 15],
    H[d >>> 28], H[(d >>> 24) & 15], H[(d >>> 20) & 15], H[(d >>> 16) & 15], H[(d >>> 12) & 15], H[(d >>> 8) & 15], H[(d >>> 4) & 15], H[d & 15],
  );
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Folds any seed (number or text) into 32 bits with FNV-1a over its decimal/text form. */
export function seedToInt(seed: number | string): number {
  const text = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    const mix = splitmix32(seedToInt(seed));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix() | 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A new generator whose stream depends only on this one's seed and `label`. */
  fork(label: string): Rng {
    return new Rng(`${this.u32()}:${label}`);
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [min, max] (both included). */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Standard normal through Box-Muller (one of the pair is dropped: simpler, fast enough). */
  normal(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and shape (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /**
   * `bytes` random bytes as lowercase hex; never all zeros (an invalid OTel id). Span and trace
   * ids are made with one String.fromCharCode call so the string is flat: the encoders read ids
   * char by char, and a concatenated (rope) string would be flattened again on first read.
   */
  hex(bytes: number): string {
    if (bytes === 8 || bytes === 16) {
      const a = this.u32();
      const b = this.u32();
      const c = bytes === 16 ? this.u32() : 0;
      const d = bytes === 16 ? this.u32() : 0;
      if ((a | b | c | d) === 0) return this.hex(bytes);
      return bytes === 8 ? hexOf2(a, b) : hexOf4(a, b, c, d);
    }
    const codes: number[] = [];
    let zero = true;
    for (let i = 0; i < bytes; i += 4) {
      const v = this.u32();
      if (v !== 0) zero = false;
      for (let j = 0; j < 8; j++) codes.push(HEX_CODE[(v >>> (28 - 4 * j)) & 15]);
    }
    if (zero) return this.hex(bytes);
    return String.fromCharCode(...codes.slice(0, bytes * 2));
  }
}
