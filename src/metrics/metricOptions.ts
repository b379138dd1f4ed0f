import { formatValue, knownKeys, numberList, OptionError } from '../common/options.js';
import { shapeString } from './maskInput.js';

/** What a metric returns for empty masks; see docs/metrics.md for the table per metric. */
export const EMPTY_POLICIES = ['nan', 'one', 'worst'] as const;
export type EmptyPolicy = (typeof EMPTY_POLICIES)[number];

/** How the prediction is turned into hard masks. */
export const BINARIZE_MODES = ['auto', 'argmax', 'threshold', 'none'] as const;
export type BinarizeMode = (typeof BINARIZE_MODES)[number];

/** Options shared by every metric. */
export interface MaskOptions {
  /** Number of classes. Default: C of a one-hot input, else max label + 1 over both maps (at least 2). */
  numClasses?: number;
  /** Whether class 0 is scored. Default per metric (true for overlap metrics, false for boundary ones). */
  includeBackground?: boolean;
  /** How probabilities become masks. Default 'auto'. */
  binarize?: BinarizeMode;
  /** Threshold for 'threshold' binarisation (value >= threshold is foreground). Default 0.5. */
  threshold?: number;
  /** Empty-case policy. Default 'nan'. */
  emptyPolicy?: EmptyPolicy;
}

/** Voxel size in mm: one number (isotropic) or one per spatial axis, in the order of the shape. */
export interface SpacingOptions {
  spacing?: number | readonly number[];
}

/** The names of {@link MaskOptions}, known to every metric. */
export const MASK_OPTION_NAMES = ['numClasses', 'includeBackground', 'binarize', 'threshold', 'emptyPolicy'] as const;

/** Throws when `options` holds a key that is neither a mask option nor in `allowed`, suggesting the nearest. */
export function checkOptionKeys(metric: string, options: object, allowed: readonly string[]): void {
  knownKeys(metric, options, [...MASK_OPTION_NAMES, ...allowed]);
}

/** Checks `spacing` against the spatial rank; returns one positive finite number per axis. */
export function resolveSpacing(metric: string, spacing: number | readonly number[] | undefined, spatial: readonly number[], shape: readonly number[]): number[] {
  const dims = spatial.length;
  const list = spacing === undefined ? new Array<number>(dims).fill(1) : typeof spacing === 'number' ? new Array<number>(dims).fill(spacing) : [...spacing];
  const positive = { min: 0, minExclusive: true } as const;
  if (list.length !== dims) {
    throw new OptionError(metric, 'spacing', `must be one number or a list of ${dims} (one per spatial axis of the ${dims}D mask ${shapeString(shape)}); got ${formatValue(spacing)}`);
  }
  return numberList(metric, 'spacing', list, { length: dims, ...positive });
}
