import { describe, expect, it } from 'vitest';
import { closestName, didYouMean, editDistance, Random } from '../../src/common/index.js';

describe('editDistance / didYouMean', () => {
  it.each([
    ['gdl', 'gdl', 0],
    ['gld', 'gdl', 1],
    ['hd59', 'hd95', 1],
    ['kitten', 'sitting', 3],
    ['dice', 'dicee', 1],
    ['', 'abc', 3],
  ])('editDistance(%s, %s) = %i', (a, b, d) => expect(editDistance(a, b)).toBe(d));

  it('suggests a close name and lists the valid ones otherwise', () => {
    expect(closestName('tverski', ['tversky', 'focal'])).toBe('tversky');
    expect(didYouMean('tverski', ['tversky', 'focal'])).toBe("; did you mean 'tversky'?");
    expect(didYouMean('xyz', ['tversky', 'focal'])).toBe("; expected one of 'tversky', 'focal'");
  });
});

describe('Random', () => {
  it('is deterministic from a seed and resumable from its state', () => {
    const a = new Random(42);
    const first = [a.next(), a.next()];
    const state = a.getState();
    const rest = [a.next(), a.next()];
    const b = new Random(42);
    expect([b.next(), b.next()]).toEqual(first);
    const c = Random.fromState(state);
    expect([c.next(), c.next()]).toEqual(rest);
  });

  it('draws uniform values in [0, 1) with the right mean, and integers in range', () => {
    const r = new Random(7);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const v = r.next();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      sum += v;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 1);
    const ints = new Set(Array.from({ length: 200 }, () => r.int(2, 4)));
    expect([...ints].sort()).toEqual([2, 3, 4]);
  });

  it('rejects a non-finite seed with a named error', () => {
    expect(() => new Random(Number.NaN)).toThrow(/Random: seed must be a finite number, got NaN/);
  });
});
