/**
 * The deterministic PRNG of the instruction tests: xorshift32 (Marsaglia), so a seed names
 * one fixed sequence of cases on every host. A zero seed, which would stay zero, starts at 1.
 */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}
