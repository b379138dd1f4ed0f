import { formatValue, integer, OptionError } from '../common/options.js';
import type { SizeRule } from './layers/spatialSizeCheck.js';
import type { SpatialDims } from './networkOptions.js';
import { ReceptiveField } from './receptiveField.js';

/**
 * A U-Net's per-axis topology, in the words of `src/data/plan.ts` (nnU-Net's `pool_op_kernel_sizes`
 * and `conv_kernel_sizes`): `strides[l][a]` is the pooling stride (1 or 2) of down-sampling l along
 * spatial axis a (the axes of the input tensor, the order of `patchSize`); `convKernels[l][a]` is the
 * convolution kernel of resolution level l (depth + 1 levels, the bottleneck last; the decoder's level l
 * uses the encoder's kernels). Up-sampling at level l uses `strides[l]` as its factor (and, transposed,
 * as its kernel).
 */
export interface UNetTopology {
  depth: number;
  strides: number[][];
  convKernels: number[][];
}

function entries(network: string, option: string, value: unknown, dims: SpatialDims, example: string): unknown[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new OptionError(network, option, `must be a non-empty list with one entry of ${dims} numbers per level, such as ${example}; got ${formatValue(value)}`);
  }
  return value.map((entry: unknown, l) => {
    if (!Array.isArray(entry) || entry.length !== dims) {
      throw new OptionError(network, `${option}[${l}]`, `must hold ${dims} numbers (one per spatial axis); got ${formatValue(entry)}`);
    }
    return entry as unknown[];
  });
}

/**
 * Checks `depth`, `strides` and `convKernels` together and fills in the defaults: isotropic 2
 * (`strides`, depth entries) and 3 (`convKernels`, depth + 1 entries). The depth follows from `strides`
 * when given; a `depth` that disagrees with it is refused.
 */
export function resolveTopology(
  network: string,
  dims: SpatialDims,
  options: { depth?: unknown; strides?: unknown; convKernels?: unknown },
  defaultDepth: number,
): UNetTopology {
  let depth: number;
  let strides: number[][];
  if (options.strides === undefined) {
    depth = integer(network, 'depth', options.depth ?? defaultDepth, { min: 1 });
    strides = Array.from({ length: depth }, () => new Array<number>(dims).fill(2));
  } else {
    const example = dims === 3 ? '[[2, 2, 1], [2, 2, 2]]' : '[[2, 1], [2, 2]]';
    strides = entries(network, 'strides', options.strides, dims, example).map((entry, l) =>
      entry.map((s, a) => {
        if (s !== 1 && s !== 2) throw new OptionError(network, `strides[${l}][${a}]`, `must be 1 or 2; got ${formatValue(s)}`);
        return s;
      }),
    );
    depth = strides.length;
    if (options.depth !== undefined && options.depth !== depth) {
      throw new OptionError(
        network,
        'depth',
        `must equal the number of strides entries (${depth}), or be left out; got ${formatValue(options.depth)}`,
      );
    }
  }
  let convKernels: number[][];
  if (options.convKernels === undefined) {
    convKernels = Array.from({ length: depth + 1 }, () => new Array<number>(dims).fill(3));
  } else {
    const example = dims === 3 ? '[[3, 3, 1], [3, 3, 3], [3, 3, 3]]' : '[[3, 1], [3, 3], [3, 3]]';
    const list = entries(network, 'convKernels', options.convKernels, dims, example);
    if (list.length !== depth + 1) {
      throw new OptionError(
        network,
        'convKernels',
        `must have depth + 1 = ${depth + 1} entries (one per resolution level, the bottleneck last); got ${list.length}`,
      );
    }
    convKernels = list.map((entry, l) =>
      entry.map((k, a) => {
        if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k % 2 === 0) {
          throw new OptionError(network, `convKernels[${l}][${a}]`, `must be an odd integer >= 1; got ${formatValue(k)}`);
        }
        return k;
      }),
    );
  }
  return { depth, strides, convKernels };
}

/** The product of the strides along each axis: every input extent must be a multiple of it. */
export function divisorsOf(t: UNetTopology): number[] {
  return t.strides[0]!.map((_, a) => t.strides.reduce((p, s) => p * s[a]!, 1));
}

/**
 * The size rules of the input: one rule for all axes when the topology is isotropic (the message every
 * existing model gives: `input size 100 is not divisible by 2^4 = 16`), else one rule per axis
 * (`input size 20 along axis 2 is not divisible by 2^1 = 2, the product of its strides`).
 */
export function sizeRulesOf(network: string, t: UNetTopology): SizeRule | SizeRule[] {
  if (t.strides.every((s) => s.every((v) => v === 2))) {
    const m = 2 ** t.depth;
    return { network, minimum: m, multipleOf: m, offset: 0, reason: `2^${t.depth} = ${m}` };
  }
  return divisorsOf(t).map((m, axis) => ({
    network,
    minimum: m,
    multipleOf: m,
    offset: 0,
    reason: `2^${Math.log2(m)} = ${m}, the product of its strides`,
    axis,
  }));
}

/**
 * Receptive field along each axis: per encoder level two convolutions and a pooling of the level's
 * stride, the bottleneck's two convolutions, per decoder level the up-sampling (and, for 'nearest', its
 * convolution with a kernel of the stride) and two convolutions.
 */
export function receptiveFieldsOf(t: UNetTopology, nearest: boolean): number[] {
  return t.strides[0]!.map((_, a) => {
    const rf = new ReceptiveField();
    for (let l = 0; l < t.depth; l++) rf.conv(t.convKernels[l]![a]!).conv(t.convKernels[l]![a]!).pool(t.strides[l]![a]!);
    rf.conv(t.convKernels[t.depth]![a]!).conv(t.convKernels[t.depth]![a]!);
    for (let l = t.depth - 1; l >= 0; l--) {
      rf.up(t.strides[l]![a]!);
      if (nearest) rf.conv(t.strides[l]![a]!);
      rf.conv(t.convKernels[l]![a]!).conv(t.convKernels[l]![a]!);
    }
    return rf.size;
  });
}

/** A kernel or stride for a layer: one number when every axis agrees (so default models serialise as before), else the list. */
export function perAxis(values: readonly number[]): number | number[] {
  return values.every((v) => v === values[0]) ? values[0]! : [...values];
}
