import { ACTIVATIONS, type Activation } from '../common/activation.js';
import type { OptionReader } from '../common/options.js';
import { REDUCTIONS, type Reduction } from './reduction.js';

/** Options every loss accepts. */
export interface SharedLossOptions {
  /** Applied to yPred first. Default 'softmax' when C > 1, 'sigmoid' when C = 1. */
  activation?: Activation;
  /** Keep channel 0 (background) in the loss. Default true. */
  includeBackground?: boolean;
  /** 'mean' (default) | 'sum' | 'none' (see docs/losses.md for the shapes). */
  reduction?: Reduction;
  /** Pool the sums over the whole batch instead of per image. Default false. */
  batch?: boolean;
}

export const SHARED_OPTION_NAMES = ['activation', 'includeBackground', 'reduction', 'batch'] as const;

export interface ResolvedSharedOptions {
  activation: Activation | undefined;
  includeBackground: boolean;
  reduction: Reduction;
  batch: boolean;
}

/** The options every loss shares, read with their defaults (the activation stays undefined until C is known). */
export function readSharedOptions(check: OptionReader): ResolvedSharedOptions {
  return {
    activation: check.oneOf('activation', ACTIVATIONS, undefined),
    includeBackground: check.boolean('includeBackground', true),
    reduction: check.oneOf('reduction', REDUCTIONS, 'mean'),
    batch: check.boolean('batch', false),
  };
}
