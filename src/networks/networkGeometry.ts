import { sizeError, type SizeRule } from './layers/spatialSizeCheck.js';
import type { SpatialDims } from './networkOptions.js';

/** How a network maps input sizes to output sizes, for samplers and sliding-window inference. */
export interface NetworkGeometry {
  dims: SpatialDims;
  /** Side of the cube/square of input elements one output element depends on. */
  receptiveField: number;
  /** The accepted input sizes, in words. */
  sizeRule: string;
  /** Spatial output shape for a spatial input shape; throws for sizes the network refuses. */
  outputShapeFor(inputShape: readonly number[]): number[];
}

/** Throws the size error of the first spatial size that breaks `rule`. */
export function checkSizes(rule: SizeRule, spatial: readonly number[], dims: SpatialDims): void {
  if (spatial.length !== dims) {
    throw new Error(`${rule.network}: expected ${dims} spatial sizes, got [${spatial.join(', ')}]`);
  }
  for (const s of spatial) {
    const error = sizeError(rule, s);
    if (error !== undefined) throw new Error(error);
  }
}
