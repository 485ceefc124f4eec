// A seeded pseudo-random generator (mulberry32), so a fault plan or a load scenario replays exactly. Eight lines, no
// dependency: the seedable generators on npm come with far more than a fault injector and a test need.

/** @returns numbers in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
