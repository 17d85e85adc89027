// The proxy's seeded randomness: the same PRNG the simulations use.
export { mulberry32 } from '../../devices/random.ts';

/** A fresh random 32-bit seed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}
