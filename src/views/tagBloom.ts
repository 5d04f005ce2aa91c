// A per-row bloom filter of a span's tags (ADR 013): 1 024 bits in sixteen 64-bit words,
// stored beside the tags in spanEventView (tag_bloom_0 … tag_bloom_15) so a `tag = value`
// search tests one integer column per row before it reads the tags' JSON text. The row builder
// fills the words; the query renderer asks for the bits one (key, value) sets and keeps the
// exact test, so a false positive costs a JSON read and never a wrong answer.
//
// Why this shape (measured in ADR 013): DuckDB decompresses the tags column (FSST) a whole
// vector of 2 048 rows at a time, so the filter only pays when almost every vector has no
// candidate at all: it needs a false-positive rate near 1e-5, not the 1 % a small bloom gives.
// And DuckDB pushes a filter into the scan (where it skips those vectors) only when it is the
// one filter left on one column, so a probe must test one column: the layout is blocked, all
// 8 bits of an entry fall in one 64-bit word. With 14 random tags a span that measured 1–2e-5
// false positives; a probe whose word pairs common to most spans load gets more (1.8e-4 for
// the query bench's tag, still 1 790 rows of 10 M). Keys alone are not entered: at the few-percent rate the bits left
// for them allow, a key test would skip no vector.
//
// The hash and the layout are part of the stored format: rows keep the bits the build that
// wrote them set, and a probe hashed any other way would miss them. A new hash or layout must
// use new column names (old rows then read null there and fall back to the exact test).
// test/views/tagBloom.test.ts pins a few probes.

/** Words per row, one column each (BIGINT; bigint values in the rows). */
export const TAG_BLOOM_WORDS = 16;

/** The columns holding the words, in order. */
export const TAG_BLOOM_COLUMNS: readonly string[] = Array.from({ length: TAG_BLOOM_WORDS }, (_, i) => `tag_bloom_${i}`);

/** What a row's bloom must hold for an entry to be there: `(column & mask) = mask`. */
export interface BloomProbe {
  word: number;
  /** The 64-bit mask, signed as DuckDB's BIGINT reads it. */
  mask: bigint;
}

const FNV_PRIME = 0x01000193;
const FNV_OFFSET = 0x811c9dc5;

/** murmur3's finalizer: FNV's low bits are weak, and the probe takes bits from all over. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

// The words as 32-bit halves, and the same memory read as 64-bit words (one bigint each).
const halves = new Int32Array(TAG_BLOOM_WORDS * 2);
const words = new BigInt64Array(halves.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;

/**
 * FNV-1a over a string's UTF-16 units, with no allocation. A lone surrogate hashes as U+FFFD:
 * the database may have stored it so, and two strings it finds equal must hash alike (merging
 * never causes a false negative).
 */
function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        h = Math.imul(h ^ c, FNV_PRIME);
        c = next;
        i++;
      } else c = 0xfffd;
    }
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h;
}

// The probe's 52 bits (4 for the word, 6 for each of 8 bits), from two finalizations of one
// 32-bit hash: half the per-character work of two hashes, and as good a spread of positions.
let ha = 0;
let hb = 0;

// Tag keys repeat span after span: their part of the hash is kept (a bounded set of keys).
const keyParts = new Map<string, number>();
const MAX_KEYS = 4096;

function keyPart(key: string): number {
  let h = keyParts.get(key);
  if (h === undefined) {
    if (keyParts.size >= MAX_KEYS) keyParts.clear();
    h = Math.imul(fnv(FNV_OFFSET, key) ^ 0xffff, FNV_PRIME);
    keyParts.set(key, h);
  }
  return h;
}

/** Hashes `key`, a separator ("ab" = "c" and "a" = "bc" differ) and `value` into ha and hb. */
function hashPair(key: string, value: string): void {
  const h = fnv(keyPart(key), value);
  ha = mix(h);
  hb = mix(h ^ 0x5bd1e995);
}

/** Sets one bit (0–63) of word `w` in `halves`. */
function setBit(w: number, bit: number): void {
  if (bit < 32) halves[2 * w + LO] |= 1 << bit;
  else halves[2 * w + HI] |= 1 << (bit - 32);
}

/** Sets the entry hashed into ha/hb; returns its word. */
function addHashed(): number {
  const w = ha >>> 28;
  setBit(w, ha & 63);
  setBit(w, (ha >>> 6) & 63);
  setBit(w, (ha >>> 12) & 63);
  setBit(w, (ha >>> 18) & 63);
  setBit(w, hb & 63);
  setBit(w, (hb >>> 6) & 63);
  setBit(w, (hb >>> 12) & 63);
  setBit(w, (hb >>> 18) & 63);
  return w;
}

/** The word and bits a row whose tags hold `key: value` has set. */
export function pairProbe(key: string, value: string): BloomProbe {
  halves.fill(0);
  hashPair(key, value);
  const word = addHashed();
  return { word, mask: words[word] };
}

/**
 * The bloom of `tags` as TAG_BLOOM_WORDS bigints, written into `out` (reused by the caller).
 * No tags give all zeros, which no probe passes.
 */
export function tagBloomInto(tags: Readonly<Record<string, string>> | null | undefined, out: bigint[]): bigint[] {
  halves.fill(0);
  if (tags != null) {
    for (const key in tags) {
      hashPair(key, tags[key]);
      addHashed();
    }
  }
  // Reading a word allocates a bigint; about half the words of a span are empty.
  for (let w = 0; w < TAG_BLOOM_WORDS; w++) out[w] = halves[2 * w] === 0 && halves[2 * w + 1] === 0 ? 0n : words[w];
  return out;
}
