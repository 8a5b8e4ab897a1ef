/**
 * Seeded randomness for synthetic data: pure-rand's xoroshiro128+ with
 * uniformFloat64 (53-bit doubles) and Box-Muller normals. A stream is named: its
 * seed is the first 32 bits of sha256(`<seed>/<name>`), so independent things
 * (the market, each ticker, each ticker's news) never share draws and adding one
 * doesn't shift another.
 */
import { createHash } from 'node:crypto';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export class Draws {
  private readonly rng: RandomGenerator;

  constructor(seed: number, name: string) {
    const digest = createHash('sha256').update(`${seed}/${name}`).digest();
    this.rng = xoroshiro128plus(digest.readInt32BE(0));
  }

  /** In [0, 1). */
  uniform(): number {
    return uniformFloat64(this.rng);
  }

  normal(): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** An index drawn with the given probabilities (which sum to 1). */
  pick(probabilities: readonly number[]): number {
    const u = this.uniform();
    let cumulative = 0;
    for (let i = 0; i < probabilities.length - 1; i++) {
      cumulative += probabilities[i]!;
      if (u < cumulative) return i;
    }
    return probabilities.length - 1;
  }

  element<T>(items: readonly T[]): T {
    return items[Math.floor(this.uniform() * items.length)]!;
  }
}
