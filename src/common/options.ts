import { closestName } from './didYouMean.js';

/**
 * The one checker of options in gendice (losses, metrics, networks, samplers, config files, CLI flags),
 * with one wording (docs/architecture.md, "Options"):
 *
 * ```
 * <function>: <option> must be one of 'a', 'b', 'c'; got 'x' (did you mean 'b'?)
 * <function>: <option> must be a finite number in [0, 1]; got NaN
 * <function>: unknown option 'weightTyp' (did you mean 'weightType'?); known options: ...
 * ```
 *
 * Every check throws an {@link OptionError}, which carries the function, the option and the problem
 * apart, so that a config parser can re-point the problem at its field (`loss.options.weightType`).
 */
export class OptionError extends Error {
  constructor(
    /** The function (or flag, or config) that checked the option. */
    readonly fn: string,
    /** The option's name, or the unknown key. */
    readonly option: string,
    /** The problem without the function and option: `must be ...; got ...` or `unknown option ...`. */
    readonly problem: string,
    message = `${fn}: ${option} ${problem}`,
  ) {
    super(message);
    this.name = 'OptionError';
  }
}

const MAX_VALUE_TEXT = 60;

function formatInner(value: unknown, depth: number): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (depth > 2) return Array.isArray(value) ? '[...]' : '{...}';
  if (Array.isArray(value)) return `[${value.map((v) => formatInner(v, depth + 1)).join(', ')}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length})`;
  const entries = Object.entries(value as Record<string, unknown>);
  return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${k}: ${formatInner(v, depth + 1)}`).join(', ')} }`;
}

/**
 * A value as it is, for messages: `NaN`, `Infinity`, `-Infinity`, `'text'`, `[1, 2]`, `{ a: 1 }`,
 * `undefined`, `null` (never `null` for NaN as JSON.stringify prints it), cut at 60 characters.
 */
export function formatValue(value: unknown): string {
  const text = formatInner(value, 0);
  return text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT - 3)}...` : text;
}

/** `'a', 'b', 'c'`. */
export function quoteList(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

/** ` (did you mean 'x'?)` for a near miss, else ''. */
export function nearMiss(value: unknown, candidates: readonly string[]): string {
  const close = typeof value === 'string' ? closestName(value, candidates) : undefined;
  return close === undefined ? '' : ` (did you mean '${close}'?)`;
}

/** `value` when it is one of `choices`, else throws `fn: option must be one of ...; got 'x' (did you mean ...)`. */
export function oneOf<const T extends string>(fn: string, option: string, value: unknown, choices: readonly T[]): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new OptionError(fn, option, `must be one of ${quoteList(choices)}; got ${formatValue(value)}${nearMiss(value, choices)}`);
}

/** Whether `value` is one of `choices` (a type guard over a vocabulary tuple). */
export function isOneOf<const T extends string>(value: unknown, choices: readonly T[]): value is T {
  return typeof value === 'string' && (choices as readonly string[]).includes(value);
}

/** Bounds of a number; each bound is inclusive unless its `...Exclusive` flag is set. */
export interface NumberRange {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  /** Whole numbers only. */
  integer?: boolean;
}

/** `a finite number in [0, 1)`, `an integer >= 1`, `a finite number > 0`, ...; `integers >= 1` when plural. */
export function describeRange(range: NumberRange, plural = false): string {
  const kind = plural ? (range.integer ? 'integers' : 'finite numbers') : range.integer ? 'an integer' : 'a finite number';
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    return `${kind} in ${range.minExclusive ? '(' : '['}${min}, ${max}${range.maxExclusive ? ')' : ']'}`;
  }
  if (min !== undefined) return `${kind} ${range.minExclusive ? '>' : '>='} ${min}`;
  if (max !== undefined) return `${kind} ${range.maxExclusive ? '<' : '<='} ${max}`;
  return kind;
}

function inRange(v: number, r: NumberRange): boolean {
  if (!Number.isFinite(v) || (r.integer && !Number.isInteger(v))) return false;
  if (r.min !== undefined && (r.minExclusive ? v <= r.min : v < r.min)) return false;
  if (r.max !== undefined && (r.maxExclusive ? v >= r.max : v > r.max)) return false;
  return true;
}

/** A finite number within `range`, else throws `fn: option must be a finite number in [0, 1]; got NaN`. */
export function finiteNumber(fn: string, option: string, value: unknown, range: NumberRange = {}): number {
  if (typeof value === 'number' && inRange(value, range)) return value;
  throw new OptionError(fn, option, `must be ${describeRange(range)}; got ${formatValue(value)}`);
}

/** An integer within `range` (default: any integer). */
export function integer(fn: string, option: string, value: unknown, range: Omit<NumberRange, 'integer'> = {}): number {
  return finiteNumber(fn, option, value, { ...range, integer: true });
}

/** `true` or `false`, else throws `fn: option must be true or false; got 'yes'`. */
export function boolean(fn: string, option: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new OptionError(fn, option, `must be true or false; got ${formatValue(value)}`);
}

/** Length and element bounds of a list of numbers. */
export interface ListRule extends NumberRange {
  /** Exact length. */
  length?: number;
  /** Minimum length (default 1). */
  minLength?: number;
  maxLength?: number;
}

function describeLength(rule: ListRule): string {
  if (rule.length !== undefined) return `${rule.length}`;
  const lo = rule.minLength ?? 1;
  if (rule.maxLength !== undefined) return lo === rule.maxLength ? `${lo}` : `${lo} to ${rule.maxLength}`;
  return `at least ${lo}`;
}

/**
 * A list of numbers, each within the rule's range, of the rule's length:
 * `fn: option must be a list of 2 integers >= 1; got [7]`.
 */
export function numberList(fn: string, option: string, value: unknown, rule: ListRule = {}): number[] {
  const lo = rule.length ?? rule.minLength ?? 1;
  const hi = rule.length ?? rule.maxLength ?? Infinity;
  const ok = Array.isArray(value) && value.length >= lo && value.length <= hi && value.every((v) => typeof v === 'number' && inRange(v, rule));
  if (ok) return [...(value as number[])];
  throw new OptionError(fn, option, `must be a list of ${describeLength(rule)} ${describeRange(rule, true)}; got ${formatValue(value)}`);
}

/** Whether `value` is a plain options object (not null, not an array). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that `options` is an object (or undefined) whose keys are all in `known`; returns it as a record.
 * `fn: unknown option 'weightTyp' (did you mean 'weightType'?); known options: activation, ...`.
 */
export function knownKeys(fn: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isRecord(options)) throw new OptionError(fn, 'options', `must be an object; got ${formatValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const problem = `unknown option${nearMiss(key, known)}; known options: ${known.join(', ')}`;
      throw new OptionError(fn, key, problem, `${fn}: unknown option '${key}'${nearMiss(key, known)}; known options: ${known.join(', ')}`);
    }
  }
  return options;
}

/**
 * Reads one options object for one function: checks the keys once, then each option with its
 * default. `new OptionReader('gdl', options, NAMES).oneOf('weightType', WEIGHT_TYPES, 'square')`.
 */
export class OptionReader {
  readonly values: Readonly<Record<string, unknown>>;

  constructor(
    readonly fn: string,
    options: unknown,
    known: readonly string[],
  ) {
    this.values = knownKeys(fn, options, known);
  }

  /** The raw value of an option (undefined when not given). */
  raw(key: string): unknown {
    return this.values[key];
  }

  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  oneOf<const T extends string>(key: string, choices: readonly T[], fallback: T): T;
  oneOf<const T extends string>(key: string, choices: readonly T[], fallback: undefined): T | undefined;
  oneOf<const T extends string>(key: string, choices: readonly T[], fallback: T | undefined): T | undefined {
    const v = this.raw(key);
    return v === undefined ? fallback : oneOf(this.fn, key, v, choices);
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    return v === undefined ? fallback : boolean(this.fn, key, v);
  }

  number(key: string, fallback: number, range: NumberRange = {}): number {
    const v = this.raw(key);
    return v === undefined ? fallback : finiteNumber(this.fn, key, v, range);
  }

  optionalNumber(key: string, range: NumberRange = {}): number | undefined {
    const v = this.raw(key);
    return v === undefined ? undefined : finiteNumber(this.fn, key, v, range);
  }

  integer(key: string, fallback: number, range: Omit<NumberRange, 'integer'> = {}): number {
    return this.number(key, fallback, { ...range, integer: true });
  }

  numberList(key: string, fallback: number[], rule?: ListRule): number[];
  numberList(key: string, fallback: undefined, rule?: ListRule): number[] | undefined;
  numberList(key: string, fallback: number[] | undefined, rule: ListRule = {}): number[] | undefined {
    const v = this.raw(key);
    return v === undefined ? fallback : numberList(this.fn, key, v, rule);
  }
}
