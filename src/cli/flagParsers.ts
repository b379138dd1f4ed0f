import { InvalidArgumentError, Option } from 'commander';
import { describeRange, finiteNumber, formatValue, nearMiss, type NumberRange, OptionError, quoteList } from '../common/options.js';

/**
 * A flag whose value is one of `choices` (commander's `Option.choices()`, so the help lists them),
 * refused with the wording of every option check and the near miss:
 * `error: option '--shape <shape>' argument 'blob' is invalid. must be one of 'blobs', ...; got 'blob' (did you mean 'blobs'?)`.
 */
export function choiceOption<const T extends string>(flags: string, description: string, choices: readonly T[]): Option {
  return new Option(flags, description).choices(choices).argParser((value: string): T => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`must be one of ${quoteList(choices)}; got ${formatValue(value)}${nearMiss(value, choices)}`);
  });
}

/** A comma-separated list of values from `choices`, each checked as {@link choiceOption} checks one. */
export function choiceList<const T extends string>(choices: readonly T[]): (value: string) => T[] {
  return (value) =>
    value
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean)
      .map((m) => {
        if ((choices as readonly string[]).includes(m)) return m as T;
        throw new InvalidArgumentError(`each entry must be one of ${quoteList(choices)}; got ${formatValue(m)}${nearMiss(m, choices)}`);
      });
}

/**
 * Parses a number flag within `range` (an integer when `range.integer`), refused with the wording of
 * every option check: `error: option '--cases <n>' argument 'many' is invalid. must be an integer in [1, 100000]; got 'many'`.
 */
export function numberFlag(range: NumberRange): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const n = text === '' || (range.integer && !/^[-+]?\d+$/.test(text)) ? Number.NaN : Number(text);
    try {
      return finiteNumber('flag', 'value', n, range);
    } catch (err) {
      if (err instanceof OptionError) throw new InvalidArgumentError(`must be ${describeRange(range)}; got ${formatValue(value)}`);
      throw err;
    }
  };
}
