import { describe, expect, it } from 'vitest';
import { scoresPerStructure } from '../../src/training/structureScores.js';

describe('scoresPerStructure', () => {
  it('keys foreground classes by their label names, with a fallback and distinct keys for equal names', () => {
    const names = new Map([[0, 'background'], [1, 'organ'], [2, 'organ'], [4, 'x']]);
    expect(scoresPerStructure([0.5, 0.25, Number.NaN], names)).toEqual({ organ: 0.5, 'organ (2)': 0.25, 'class 3': Number.NaN });
    expect(scoresPerStructure([0.75], undefined)).toEqual({ 'class 1': 0.75 });
  });
});
