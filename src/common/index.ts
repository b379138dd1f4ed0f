export { editDistance, closestName, didYouMean } from './didYouMean.js';
export { Random } from './random.js';
