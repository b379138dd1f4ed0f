/**
 * What turns a network's raw output into probabilities, shared by losses (applied to yPred first),
 * networks (the last layer) and inference: 'softmax' over the channels, 'sigmoid' per channel, or
 * 'none' (the values are already probabilities, or logits are wanted).
 */
export const ACTIVATIONS = ['softmax', 'sigmoid', 'none'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
