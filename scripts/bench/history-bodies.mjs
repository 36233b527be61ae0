// The message bodies of the long-history benchmarks (issue 15), shared by long-history.mjs and startup.mjs so that
// both measure the same 50,000-message history: 10–300 characters of words, about one in eight multi-line, seeded.

/** A seeded generator (mulberry32), so every run writes the same history. */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'the build is green again deploy at five review this branch lunch later ok thanks ship it'.split(' ');

/** Message `i`'s body from `rnd`. */
export function body(rnd, i) {
  const len = 10 + Math.floor(rnd() * 291);
  let s = `m${i}`;
  while (s.length < len) s += (rnd() < 0.02 ? '\n' : ' ') + WORDS[Math.floor(rnd() * WORDS.length)];
  return s.slice(0, len);
}
