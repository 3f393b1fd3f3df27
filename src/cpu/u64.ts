/**
 * 64-bit values as pairs of int32 words.
 *
 * Measured before choosing (see README "Value representation"): BigInt registers in a
 * BigUint64Array are as fast as int32 pairs on pure ALU chains, but 3.5-5.5x slower once values
 * cross function calls and become memory indices, because V8 then allocates a heap BigInt per
 * value. So the hot path keeps 64-bit values as (lo, hi) int32 words; rare complex operations
 * (64x64 multiply, division, CRC, conversions) may convert to BigInt locally with these helpers.
 */

export const TWO32 = 4294967296;

/** Combine a (lo, hi) pair into an unsigned BigInt. */
export function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Combine a (lo, hi) pair into a signed BigInt. */
export function toBigSigned(lo: number, hi: number): bigint {
  return (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
}

/** Low int32 word of a BigInt (any sign; two's complement). */
export function bigLo(v: bigint): number {
  return Number(BigInt.asUintN(32, v)) | 0;
}

/** High int32 word (bits 63:32) of a BigInt. */
export function bigHi(v: bigint): number {
  return Number(BigInt.asUintN(32, v >> 32n)) | 0;
}

/**
 * A pair as a JavaScript number when it is exactly representable (|v| < 2^53), e.g. physical
 * addresses, which are at most 52 bits on ARMv8.
 */
export function toNumber(lo: number, hi: number): number {
  return (hi >>> 0) * TWO32 + (lo >>> 0);
}

/** Hex string of a pair, 16 digits, for traces and error reports. */
export function hex64(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");
}

/**
 * Add two pairs; writes the result into out[0], out[1] (out is a scratch Int32Array so the hot
 * path allocates nothing).
 */
export function add64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number): void {
  const lo = (alo >>> 0) + (blo >>> 0);
  out[0] = lo;
  out[1] = (ahi + bhi + (lo > 0xffffffff ? 1 : 0)) | 0;
}

/** Unsigned compare of pairs: -1, 0 or 1. */
export function cmpu64(alo: number, ahi: number, blo: number, bhi: number): number {
  const ah = ahi >>> 0, bh = bhi >>> 0;
  if (ah !== bh) return ah < bh ? -1 : 1;
  const al = alo >>> 0, bl = blo >>> 0;
  return al === bl ? 0 : al < bl ? -1 : 1;
}
