import type * as tf from '@tensorflow/tfjs';

/**
 * Lets `model.fit` / `model.evaluate` accept integer label maps `[B, ...spatial, 1]` as targets
 * for a model compiled with a gendice loss, whose output has C > 1 channels.
 *
 * gendice losses one-hot encode label maps themselves, but TF.js Layers checks every target
 * against the output shape before the loss sees it (it only exempts its own sparse categorical
 * cross-entropy). This clears the channel entry of the expected target shapes after `compile`,
 * so that both one-hot targets and label maps pass that check; the loss still validates them.
 * Call it after `model.compile(...)` (and again after any later `compile`).
 */
export function allowLabelMapTargets(model: tf.LayersModel): void {
  type Internals = { feedOutputShapes?: Array<Array<number | null>>; model?: Internals };
  // A Sequential model delegates compile and fit to the functional model it wraps.
  const outer = model as unknown as Internals;
  const internals = outer.feedOutputShapes === undefined && outer.model !== undefined ? outer.model : outer;
  const shapes = internals.feedOutputShapes;
  if (!Array.isArray(shapes) || shapes.length === 0) {
    throw new Error(`allowLabelMapTargets: model '${model.name}' has no compiled outputs; call model.compile({ loss, optimizer }) first`);
  }
  internals.feedOutputShapes = shapes.map((s) => [...s.slice(0, -1), null]);
}
