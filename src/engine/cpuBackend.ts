import type * as tf from '@tensorflow/tfjs';

/** The part of TF.js's `cpu` backend (MathBackendCPU) that the engine's kernels use. */
export interface CpuBackend {
  data: { get(dataId: tf.DataId): { values?: tf.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.BackendValues): tf.TensorInfo;
}

/** The float32 values of a cpu tensor without copying, or undefined when they are not a Float32Array. */
export function floatValues(backend: CpuBackend, t: tf.TensorInfo): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : undefined;
}

/** Values the copy kernels move as they are: float32, int32 and bool tensors. */
export type NumericArray = Float32Array | Int32Array | Uint8Array;

/** The values of a float32, int32 or bool cpu tensor without copying, when they have that dtype's array type. */
export function numericValues(backend: CpuBackend, t: tf.TensorInfo): NumericArray | undefined {
  const v = backend.data.get(t.dataId).values;
  if (t.dtype === 'float32') return v instanceof Float32Array ? v : undefined;
  if (t.dtype === 'int32') return v instanceof Int32Array ? v : undefined;
  if (t.dtype === 'bool') return v instanceof Uint8Array ? v : undefined;
  return undefined;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
