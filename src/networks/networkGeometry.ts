import { ruleForAxis, sizeError, type SizeRule } from './layers/spatialSizeCheck.js';
import type { SpatialDims } from './networkOptions.js';

/** How a network maps input sizes to output sizes, for samplers and sliding-window inference. */
export interface NetworkGeometry {
  dims: SpatialDims;
  /** Side of the cube/square of input elements one output element depends on (the largest over the axes). */
  receptiveField: number;
  /** The receptive field along each spatial axis, where the network gives it (the U-Nets); absent: `receptiveField` on every axis. */
  receptiveFieldPerAxis?: number[];
  /** The accepted input sizes, in words. */
  sizeRule: string;
  /** Spatial output shape for a spatial input shape; throws for sizes the network refuses. */
  outputShapeFor(inputShape: readonly number[]): number[];
}

/** Throws the size error of the first spatial size that breaks `rule` (one rule for every axis, or one per axis). */
export function checkSizes(rule: SizeRule | readonly SizeRule[], spatial: readonly number[], dims: SpatialDims): void {
  if (spatial.length !== dims) {
    throw new Error(`${ruleForAxis(rule, 0).network}: expected ${dims} spatial sizes, got [${spatial.join(', ')}]`);
  }
  spatial.forEach((s, axis) => {
    const error = sizeError(ruleForAxis(rule, axis), s);
    if (error !== undefined) throw new Error(error);
  });
}
