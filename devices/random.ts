// A small seeded PRNG (mulberry32) and the draws the simulations use.

/** Uniform in [0, 1), reproducible from `seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Exponentially distributed with mean `mean`. */
export const exponential = (random: () => number, mean: number): number => -Math.log(1 - random()) * mean;

/** Uniform in [min, max]. */
export const uniform = (random: () => number, min: number, max: number): number => min + (max - min) * random();

/** A random element of a non-empty list. */
export const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)];
