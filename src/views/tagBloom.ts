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

/**
 * What a tag key hashes to, and the entry its last value made: a span's values often repeat the
 * previous span's (methods, systems, hosts), and such an entry is then set without hashing.
 */
interface KeyMemo {
  key: string;
  part: number;
  value: string;
  word: number;
  lo: number;
  hi: number;
  /** The key that followed this one last time: spans repeat runs of keys, so it is tried first. */
  next: KeyMemo | null;
}

// Tag keys repeat span after span: their part of the hash is kept (a bounded set of keys).
const keyMemos = new Map<string, KeyMemo>();
const MAX_KEYS = 4096;
/** Longest value a key's memo keeps. */
const MAX_MEMO_VALUE = 256;
/** Stands before a span's first key (never in keyMemos). */
const START: KeyMemo = { key: '', part: 0, value: '', word: -1, lo: 0, hi: 0, next: null };

function keyMemo(key: string): KeyMemo {
  let m = keyMemos.get(key);
  if (m === undefined) {
    if (keyMemos.size >= MAX_KEYS) {
      keyMemos.clear();
      // Memos in use only chain to memos made since, so the forgotten ones can be collected.
      START.next = null;
    }
    // word -1: no entry remembered yet, so the first value always hashes.
    m = { key, part: Math.imul(fnv(FNV_OFFSET, key) ^ 0xffff, FNV_PRIME), value: '', word: -1, lo: 0, hi: 0, next: null };
    keyMemos.set(key, m);
  }
  return m;
}

/** Hashes `key`, a separator ("ab" = "c" and "a" = "bc" differ) and `value` into ha and hb. */
function hashPair(part: number, value: string): void {
  const h = fnv(part, value);
  ha = mix(h);
  hb = mix(h ^ 0x5bd1e995);
}

// The entry hashed into ha/hb: its word, and its bits there as 32-bit halves.
let entryWord = 0;
let entryLo = 0;
let entryHi = 0;

/** Works out the entry hashed into ha/hb (eight 6-bit positions in one word) into entry*. */
function entryOfHash(): void {
  let lo = 0;
  let hi = 0;
  let x = ha;
  for (let k = 0; k < 8; k++) {
    if (k === 4) x = hb;
    const bit = x & 63;
    // `1 << bit` shifts by bit & 31: the half picks which 32 bits it lands in.
    if (bit < 32) lo |= 1 << bit;
    else hi |= 1 << bit;
    x >>>= 6;
  }
  entryWord = ha >>> 28;
  entryLo = lo;
  entryHi = hi;
}

/** ORs the entry in entry* into `halves`. */
function setEntry(): void {
  halves[2 * entryWord + LO] |= entryLo;
  halves[2 * entryWord + HI] |= entryHi;
}

/** The word and bits a row whose tags hold `key: value` has set. */
export function pairProbe(key: string, value: string): BloomProbe {
  halves.fill(0);
  hashPair(keyMemo(key).part, value);
  entryOfHash();
  setEntry();
  return { word: entryWord, mask: words[entryWord] };
}

// Words as bigints, shared between rows by value: most words of a span hold the same entries
// as in an earlier span of its shape, and a bigint read from `words` is a new heap object that
// the row keeps alive until it is written. Direct-mapped by the word's bits; a slot holds the
// last word that mapped there, and a word is handed out only when both halves match.
const WORD_CACHE_SLOTS = 2048;
const cachedLo = new Int32Array(WORD_CACHE_SLOTS);
const cachedHi = new Int32Array(WORD_CACHE_SLOTS);
// Slots start as the zero word, which is never looked up (zero words are 0n).
const cachedWord: bigint[] = new Array<bigint>(WORD_CACHE_SLOTS).fill(0n);

/** Word `w` of `halves` as a bigint (lo, hi: its halves, not both 0). */
function wordOf(w: number, lo: number, hi: number): bigint {
  const slot = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 21) & (WORD_CACHE_SLOTS - 1);
  if (cachedLo[slot] === lo && cachedHi[slot] === hi) return cachedWord[slot];
  const word = words[w];
  cachedLo[slot] = lo;
  cachedHi[slot] = hi;
  cachedWord[slot] = word;
  return word;
}

/**
 * The bloom of `tags` as TAG_BLOOM_WORDS bigints, written into `out` (reused by the caller).
 * No tags give all zeros, which no probe passes.
 */
export function tagBloomInto(tags: Readonly<Record<string, string>> | null | undefined, out: bigint[]): bigint[] {
  halves.fill(0);
  if (tags != null) {
    let prev = START;
    for (const key in tags) {
      const value = tags[key];
      let m = prev.next;
      if (m === null || m.key !== key) {
        m = keyMemo(key);
        prev.next = m;
      }
      prev = m;
      if (m.word === -1 || m.value !== value) {
        hashPair(m.part, value);
        entryOfHash();
        // A long value (a statement, a body) is not kept: the memos would hold it alive.
        const kept = value.length <= MAX_MEMO_VALUE;
        m.value = kept ? value : '';
        m.word = kept ? entryWord : -1;
        m.lo = entryLo;
        m.hi = entryHi;
      } else {
        entryWord = m.word;
        entryLo = m.lo;
        entryHi = m.hi;
      }
      setEntry();
    }
  }
  for (let w = 0; w < TAG_BLOOM_WORDS; w++) {
    const lo = halves[2 * w + LO];
    const hi = halves[2 * w + HI];
    out[w] = lo === 0 && hi === 0 ? 0n : wordOf(w, lo, hi);
  }
  return out;
}
