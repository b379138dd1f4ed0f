import type { Tensor } from '@tensorflow/tfjs';

/** A plain array (any typed array or number[]) with its shape, row-major, channels last. */
export interface ArrayWithShape {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** A segmentation input: `[B, H, W, C]` or `[B, D, H, W, C]`; `C = 1` label map, `C > 1` one mask per channel. */
export type MaskInput = Tensor | ArrayWithShape;


export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}


function isTensor(x: MaskInput): x is Tensor {
  return typeof (x as Tensor).dataSync === 'function';
}

/** Reads a tensor once (dataSync) or checks an array-with-shape; validates rank and length. */
export function readInput(metric: string, name: string, input: MaskInput): { data: ArrayLike<number>; shape: number[] } {
  if (input === null || typeof input !== 'object') throw new Error(`${metric}: ${name} must be a tensor or { data, shape }, got ${String(input)}`);
  let data: ArrayLike<number>;
  let shape: number[];
  if (isTensor(input)) {
    if (input.dtype === 'string' || input.dtype === 'complex64') throw new Error(`${metric}: ${name} has dtype ${input.dtype}; expected a numeric tensor`);
    data = input.dataSync() as ArrayLike<number>;
    shape = [...input.shape];
  } else {
    if (input.data === undefined || input.shape === undefined) throw new Error(`${metric}: ${name} must be a tensor or { data, shape }`);
    data = input.data;
    shape = [...input.shape];
  }
  if (shape.length !== 4 && shape.length !== 5) {
    throw new Error(`${metric}: ${name} must be [B,H,W,C] (2D) or [B,D,H,W,C] (3D), got shape ${shapeString(shape)}`);
  }
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${metric}: ${name} has an invalid shape ${shapeString(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new Error(`${metric}: ${name} has ${data.length} values but shape ${shapeString(shape)} needs ${size}`);
  }
  return { data, shape };
}


const INTEGER_ARRAYS = [Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array];
export function isIntegerTyped(data: ArrayLike<number>): boolean {
  return INTEGER_ARRAYS.some((T) => data instanceof T);
}

