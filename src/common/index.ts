export { editDistance, closestName, didYouMean } from './didYouMean.js';
export { Random } from './random.js';
export { median, medianOfSorted, percentile, percentileOfSorted } from './stats.js';
export * from './options.js';
export { ACTIVATIONS, type Activation } from './activation.js';
