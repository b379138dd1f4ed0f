import { describe, expect, it } from 'vitest';
import {
  boolean,
  describeRange,
  finiteNumber,
  formatValue,
  integer,
  knownKeys,
  numberList,
  oneOf,
  OptionError,
  OptionReader,
} from '../../src/common/options.js';

describe('formatValue', () => {
  it.each<[unknown, string]>([
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [-0, '-0'],
    [1.5, '1.5'],
    ['text', "'text'"],
    [[1, 2], '[1, 2]'],
    [[NaN, 'a'], "[NaN, 'a']"],
    [{ a: 1, b: [Infinity] }, '{ a: 1, b: [Infinity] }'],
    [{}, '{}'],
    [undefined, 'undefined'],
    [null, 'null'],
    [true, 'true'],
    [new Float32Array(3), 'Float32Array(3)'],
  ])('formatValue(%o) = %s', (value, text) => expect(formatValue(value)).toBe(text));

  it('cuts long values at 60 characters', () => {
    const text = formatValue(new Array(100).fill(1));
    expect(text).toHaveLength(60);
    expect(text.endsWith('...')).toBe(true);
  });
});

describe('describeRange', () => {
  it.each<[Parameters<typeof describeRange>[0], string]>([
    [{}, 'a finite number'],
    [{ min: 0 }, 'a finite number >= 0'],
    [{ min: 0, minExclusive: true }, 'a finite number > 0'],
    [{ max: 1 }, 'a finite number <= 1'],
    [{ max: 1, maxExclusive: true }, 'a finite number < 1'],
    [{ min: 0, max: 1 }, 'a finite number in [0, 1]'],
    [{ min: 0, max: 1, maxExclusive: true }, 'a finite number in [0, 1)'],
    [{ min: 0, max: 1, minExclusive: true }, 'a finite number in (0, 1]'],
    [{ min: 1, integer: true }, 'an integer >= 1'],
  ])('%o', (range, text) => expect(describeRange(range)).toBe(text));
});

/** Runs `f` and returns the message of the OptionError it throws. */
function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    return (err as Error).message;
  }
  throw new Error('expected an OptionError');
}

describe('the checks and their pinned messages', () => {
  it.each<[string, () => unknown, string]>([
    ['one-of with a near miss', () => oneOf('gdl', 'weightType', 'squared', ['square', 'simple', 'uniform']), "gdl: weightType must be one of 'square', 'simple', 'uniform'; got 'squared' (did you mean 'square'?)"],
    ['one-of far off', () => oneOf('gdl', 'weightType', 'xyz', ['square', 'simple']), "gdl: weightType must be one of 'square', 'simple'; got 'xyz'"],
    ['one-of of a number', () => oneOf('dice', 'reduction', 3, ['mean', 'sum']), "dice: reduction must be one of 'mean', 'sum'; got 3"],
    ['NaN', () => finiteNumber('f', 'threshold', NaN, { min: 0, max: 1 }), 'f: threshold must be a finite number in [0, 1]; got NaN'],
    ['Infinity', () => finiteNumber('f', 'smoothNr', Infinity, { min: 0 }), 'f: smoothNr must be a finite number >= 0; got Infinity'],
    ['-Infinity', () => finiteNumber('f', 'x', -Infinity), 'f: x must be a finite number; got -Infinity'],
    ['below an exclusive minimum', () => finiteNumber('f', 'epsilon', 0, { min: 0, minExclusive: true }), 'f: epsilon must be a finite number > 0; got 0'],
    ['at an exclusive maximum', () => finiteNumber('f', 'dropout', 1, { min: 0, max: 1, maxExclusive: true }), 'f: dropout must be a finite number in [0, 1); got 1'],
    ['a string for a number', () => finiteNumber('f', 'alpha', '0.5'), "f: alpha must be a finite number; got '0.5'"],
    ['a fraction for an integer', () => integer('unet2d', 'depth', 2.5, { min: 1 }), 'unet2d: depth must be an integer >= 1; got 2.5'],
    ['a boolean', () => boolean('dice', 'batch', 'yes'), "dice: batch must be true or false; got 'yes'"],
    ['a list too short', () => numberList('twoPathCnn', 'localKernels', [7], { length: 2, integer: true, min: 1 }), 'twoPathCnn: localKernels must be a list of 2 integers >= 1; got [7]'],
    ['a list with NaN', () => numberList('f', 'spacing', [1, NaN], { min: 0, minExclusive: true }), 'f: spacing must be a list of at least 1 finite numbers > 0; got [1, NaN]'],
    ['a list of a range of lengths', () => numberList('f', 'patchSize', 'x', { minLength: 2, maxLength: 3, integer: true, min: 1 }), "f: patchSize must be a list of 2 to 3 integers >= 1; got 'x'"],
    ['an unknown key', () => knownKeys('gdl', { weightTyp: 'square' }, ['activation', 'weightType']), "gdl: unknown option 'weightTyp' (did you mean 'weightType'?); known options: activation, weightType"],
    ['an unknown key far off', () => knownKeys('gdl', { zzz: 1 }, ['activation']), "gdl: unknown option 'zzz'; known options: activation"],
    ['options that are not an object', () => knownKeys('gdl', [1], ['a']), 'gdl: options must be an object; got [1]'],
    ['null options', () => knownKeys('gdl', null, ['a']), 'gdl: options must be an object; got null'],
  ])('%s', (_name, f, message) => expect(messageOf(f)).toBe(message));

  it('keeps function, option and problem apart for config parsers', () => {
    try {
      knownKeys('gdl', { weightTyp: 1 }, ['weightType']);
    } catch (err) {
      const e = err as OptionError;
      expect([e.fn, e.option, e.problem]).toEqual(['gdl', 'weightTyp', "unknown option (did you mean 'weightType'?); known options: weightType"]);
    }
    try {
      oneOf('gdl', 'weightType', 'squared', ['square']);
    } catch (err) {
      const e = err as OptionError;
      expect([e.fn, e.option, e.problem]).toEqual(['gdl', 'weightType', "must be one of 'square'; got 'squared' (did you mean 'square'?)"]);
    }
  });

  it.each<[string, () => unknown, unknown]>([
    ['one-of', () => oneOf('f', 'o', 'b', ['a', 'b']), 'b'],
    ['a number at both inclusive bounds', () => [finiteNumber('f', 'o', 0, { min: 0, max: 1 }), finiteNumber('f', 'o', 1, { min: 0, max: 1 })], [0, 1]],
    ['an integer', () => integer('f', 'o', 3, { min: 1 }), 3],
    ['a list', () => numberList('f', 'o', [1, 2], { length: 2 }), [1, 2]],
    ['known keys', () => knownKeys('f', { a: 1 }, ['a', 'b']), { a: 1 }],
    ['no options', () => knownKeys('f', undefined, ['a']), {}],
  ])('accepts valid values: %s', (_name, f, value) => expect(f()).toEqual(value));
});

describe('OptionReader', () => {
  it('gives defaults for absent options and checks given ones', () => {
    const r = new OptionReader('tversky', { alpha: 0.3, reduction: 'sum' }, ['alpha', 'beta', 'reduction', 'batch']);
    expect(r.number('alpha', 0.5, { min: 0 })).toBe(0.3);
    expect(r.number('beta', 0.5, { min: 0 })).toBe(0.5);
    expect(r.oneOf('reduction', ['mean', 'sum', 'none'], 'mean')).toBe('sum');
    expect(r.boolean('batch', false)).toBe(false);
    expect(r.optionalNumber('beta')).toBeUndefined();
    expect(r.numberList('beta', undefined)).toBeUndefined();
  });

  it('refuses an unknown key when built', () => {
    expect(() => new OptionReader('tversky', { alhpa: 1 }, ['alpha', 'beta'])).toThrow(
      "tversky: unknown option 'alhpa' (did you mean 'alpha'?); known options: alpha, beta",
    );
  });
});
