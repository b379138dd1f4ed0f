import * as tf from '@tensorflow/tfjs';

/**
 * TF.js 4.22's WebGL backend reports half precision when it computes in full precision:
 * `MathBackendWebGL.floatPrecision()` returns 16 whenever `WEBGL_RENDER_FLOAT32_ENABLED` is true
 * (its test is inverted; tensorflow/tfjs#6980, fix #6981 never merged). So `backend.epsilon()` is 1e-4
 * instead of 1e-7 on every WebGL2 device with float textures, and every optimizer built without an
 * explicit epsilon (`tf.train.adam(lr)`, `adamax`, `adagrad`, `adadelta`, `rmsprop`, and Layers'
 * `compile({ optimizer: 'adam' })`) divides by √v + 1e-4. The Generalised Dice loss's gradients are
 * 1e-4 to 1e-7 in size, so Adam's steps shrank by 10–1000× on WebGL and training stalled.
 *
 * This wraps `floatPrecision` on the class's prototype: 32 when the backend renders to float32 textures,
 * TF.js's own underflow test otherwise (a real half-float device keeps 16 and epsilon 1e-4).
 * Idempotent; returns whether the backend class was found and patched. Optimizers made before the
 * patch keep the epsilon they read at construction.
 */
type PrecisionProto = { floatPrecision(this: unknown): 16 | 32 } & { [PATCHED]?: true };

const PATCHED = Symbol.for('gendice.webglFloatPrecision');

export function fixWebglFloatPrecision(): boolean {
  const backendClass = (tf as unknown as { MathBackendWebGL?: { prototype: PrecisionProto } }).MathBackendWebGL;
  if (backendClass === undefined) return false;
  const proto = backendClass.prototype;
  if (proto[PATCHED] === true) return true;
  const original = proto.floatPrecision;
  if (typeof original !== 'function') return false;
  proto.floatPrecision = function floatPrecision(this: unknown): 16 | 32 {
    return tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 32 : original.call(this);
  };
  proto[PATCHED] = true;
  return true;
}
