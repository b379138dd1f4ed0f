import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { replacedKernels } from '../kernelRegistry.js';
import { conv2dBackpropFilter, conv3dBackpropFilter } from './kernels.js';
import { batchToSpace, spaceToBatch } from './spaceToBatch.js';

/**
 * Gradients of dilated (atrous) 2D and 3D convolutions, which TF.js 4.22 refuses on every backend
 * ("dilation rates greater than 1 are not yet supported in gradients").
 *
 * Method (space-to-batch, as TensorFlow's own atrous convolution): with stride 1, output element
 * o = d·q + r of a convolution with dilation d only ever reads input elements of phase r, so after
 * padding the input to a multiple of d and moving the d phases of every spatial axis into the batch
 * (`spaceToBatchND`), the dilated convolution is an ordinary 'valid' convolution with the original
 * (undilated) filter. Its gradients are then the stock `Conv{2,3}DBackpropFilter` and
 * `Conv{2,3}DBackpropInput` kernels on the rearranged tensors, and `batchToSpaceND` puts the input
 * gradient back. The work is that of an undilated convolution plus two memory-bound rearrangements;
 * nothing is computed on inserted zeros. Everything is expressed in TF.js ops, so it runs on whatever
 * kernels the active backend has registered.
 *
 * When gendice's engine has replaced the backprop kernels of the active backend (oneDNN on cpu,
 * composed XNNPACK on wasm), those kernels take a `dilations` attribute and compute the dilated
 * gradients directly; the decomposition is then skipped (it is the path for stock backends).
 *
 * Undilated convolutions keep the gradient that was registered before (TF.js's own, or an engine's).
 */

type Spatial = number[];

/** Per spatial axis: padding before, as computed by TF.js for the forward convolution. */
interface DilatedGeometry {
  inSize: Spatial;
  outSize: Spatial;
  filterSize: Spatial;
  dilations: Spatial;
  padBefore: Spatial;
}

/** The paddings of x and dy, per spatial axis, that make every axis a whole number of phases. */
function phasePaddings(g: DilatedGeometry): { x: [number, number][]; dy: [number, number][] } {
  const x: [number, number][] = [];
  const dy: [number, number][] = [];
  for (let i = 0; i < g.inSize.length; i++) {
    const d = g.dilations[i]!;
    const k = g.filterSize[i]!;
    const out = g.outSize[i]!;
    const phaseOut = Math.ceil(out / d);
    const phaseIn = phaseOut + k - 1;
    const after = phaseIn * d - g.inSize[i]! - g.padBefore[i]!;
    if (after < 0) {
      throw new Error(
        `dilated convolution gradient: internal geometry error on axis ${i} (input ${g.inSize[i]}, ` +
          `output ${out}, filter ${k}, dilation ${d}, pad ${g.padBefore[i]})`,
      );
    }
    x.push([g.padBefore[i]!, after]);
    dy.push([0, phaseOut * d - out]);
  }
  return { x, dy };
}

/**
 * Input and filter gradients of a stride-1 dilated convolution, channels last, in 2 or 3 spatial
 * dimensions. Exported for tests and for engines that want the same decomposition.
 */
export function dilatedConvGradients(
  x: Tensor,
  dy: Tensor,
  filter: Tensor,
  geometry: DilatedGeometry,
): { dx: () => Tensor; dFilter: () => Tensor } {
  const pads = phasePaddings(geometry);
  const block = geometry.dilations;
  const spatialRank = geometry.inSize.length;
  // The engine runs each input's gradient in its own tidy scope, so nothing is shared between them;
  // the input gradient needs only the phase-split dy (the split input's shape is computed).
  const batch = x.shape[0]! * block.reduce((a, b) => a * b, 1);
  const phasedInShape = [batch, ...pads.x.map(([a, b], i) => (geometry.inSize[i]! + a + b) / block[i]!), x.shape[x.rank - 1]!];
  return {
    dx: () =>
      tf.tidy(() => {
        const dys = spaceToBatch(dy, block, pads.dy);
        const dxs =
          spatialRank === 2
            ? tf.conv2dTranspose(dys as tf.Tensor4D, filter as tf.Tensor4D, phasedInShape as [number, number, number, number], 1, 'valid')
            : tf.conv3dTranspose(dys as tf.Tensor5D, filter as tf.Tensor5D, phasedInShape as [number, number, number, number, number], 1, 'valid');
        return batchToSpace(dxs, block, pads.x);
      }),
    dFilter: () =>
      tf.tidy(() => {
        const xs = spaceToBatch(x, block, pads.x);
        const dys = spaceToBatch(dy, block, pads.dy);
        return spatialRank === 2
          ? conv2dBackpropFilter(xs, dys, filter.shape, 1, 'valid')
          : conv3dBackpropFilter(xs, dys, filter.shape, 1, 'valid');
      }),
  };
}

/** Whether the active backend's backprop kernels were replaced by gendice's engine (which honours `dilations`). */
export function engineBackpropTakesDilations(spatialRank: 2 | 3): boolean {
  const backend = tf.getBackend();
  const names =
    spatialRank === 2 ? ['Conv2DBackpropInput', 'Conv2DBackpropFilter'] : ['Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'];
  const replaced = replacedKernels();
  return names.every((n) => replaced.some((r) => r.kernelName === n && r.backendName === backend));
}

/** The dilated gradients straight from engine kernels that take a `dilations` attribute. */
function engineDilatedGradients(
  x: Tensor,
  dy: Tensor,
  filter: Tensor,
  dilations: number[],
  pad: unknown,
  dimRoundingMode: unknown,
): { dx: () => Tensor; dFilter: () => Tensor } {
  const engine = tf.engine();
  if (x.rank === 4) {
    const common = { strides: 1, pad, dataFormat: 'NHWC', dilations, ...(dimRoundingMode === undefined ? {} : { dimRoundingMode }) } as unknown as NamedAttrMap;
    return {
      dx: () => engine.runKernel('Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: x.shape }) as Tensor,
      dFilter: () => engine.runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: filter.shape }) as Tensor,
    };
  }
  const common = { strides: 1, pad, dilations } as unknown as NamedAttrMap;
  return {
    dx: () => engine.runKernel('Conv3DBackpropInputV2', { dy, filter }, { ...common, inputShape: x.shape }) as Tensor,
    dFilter: () => engine.runKernel('Conv3DBackpropFilterV2', { x, dy }, { ...common, filterShape: filter.shape }) as Tensor,
  };
}

function asTuple(v: unknown, n: number, what: string): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.length === n && v.every((e) => typeof e === 'number')) return v as number[];
  throw new Error(`dilated convolution gradient: expected ${what} to be a number or ${n} numbers, got ${String(v)}`);
}

const allOne = (v: number[]): boolean => v.every((e) => e === 1);

/** A Conv2D gradient that handles dilations > 1 and defers to `previous` otherwise. */
export function dilatedConv2DGradConfig(previous: GradConfig | undefined): GradConfig {
  return {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dyIn: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const dilations = asTuple(attrs['dilations'], 2, 'dilations');
      if (allOne(dilations)) {
        if (previous === undefined) throw new Error('Conv2D gradient: no undilated gradient registered');
        return previous.gradFunc(dyIn, saved, attrs);
      }
      const strides = asTuple(attrs['strides'], 2, 'strides');
      if (!allOne(strides)) {
        throw new Error(`Conv2D gradient: dilations ${dilations} need strides 1, got strides ${strides}`);
      }
      const channelsFirst = attrs['dataFormat'] === 'NCHW';
      const [x0, filter] = saved as [Tensor, Tensor];
      const dy0 = dyIn as Tensor;
      const x = channelsFirst ? tf.transpose(x0, [0, 2, 3, 1]) : x0;
      const dy = channelsFirst ? tf.transpose(dy0, [0, 2, 3, 1]) : dy0;
      if (engineBackpropTakesDilations(2)) {
        const grads = engineDilatedGradients(x, dy, filter, dilations, attrs['pad'], attrs['dimRoundingMode']);
        return {
          x: () => {
            const dx = grads.dx();
            return channelsFirst ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
          },
          filter: grads.dFilter,
        };
      }
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        1,
        dilations as [number, number],
        attrs['pad'] as 'same' | 'valid' | number,
        attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
      );
      const grads = dilatedConvGradients(x, dy, filter, {
        inSize: [info.inHeight, info.inWidth],
        outSize: [info.outHeight, info.outWidth],
        filterSize: [info.filterHeight, info.filterWidth],
        dilations,
        padBefore: [info.padInfo.top, info.padInfo.left],
      });
      return {
        x: () => {
          const dx = grads.dx();
          return channelsFirst ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
        },
        filter: grads.dFilter,
      };
    },
  };
}

/** A Conv3D gradient that handles dilations > 1 and defers to `previous` otherwise. */
export function dilatedConv3DGradConfig(previous: GradConfig | undefined): GradConfig {
  return {
    kernelName: 'Conv3D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dyIn: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const dilations = asTuple(attrs['dilations'], 3, 'dilations');
      if (allOne(dilations)) {
        if (previous === undefined) throw new Error('Conv3D gradient: no undilated gradient registered');
        return previous.gradFunc(dyIn, saved, attrs);
      }
      const strides = asTuple(attrs['strides'], 3, 'strides');
      if (!allOne(strides)) {
        throw new Error(`Conv3D gradient: dilations ${dilations} need strides 1, got strides ${strides}`);
      }
      const [x, filter] = saved as [Tensor, Tensor];
      if (engineBackpropTakesDilations(3)) {
        const grads = engineDilatedGradients(x, dyIn as Tensor, filter, dilations, attrs['pad'], undefined);
        return { x: grads.dx, filter: grads.dFilter };
      }
      const info = tf.backend_util.computeConv3DInfo(
        x.shape as [number, number, number, number, number],
        filter.shape as [number, number, number, number, number],
        1,
        dilations as [number, number, number],
        attrs['pad'] as 'same' | 'valid',
      );
      const grads = dilatedConvGradients(x, dyIn as Tensor, filter, {
        inSize: [info.inDepth, info.inHeight, info.inWidth],
        outSize: [info.outDepth, info.outHeight, info.outWidth],
        filterSize: [info.filterDepth, info.filterHeight, info.filterWidth],
        dilations,
        padBefore: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
      });
      return { x: grads.dx, filter: grads.dFilter };
    },
  };
}
