export { editDistance, closestName, didYouMean } from './didYouMean.js';
export { Random } from './random.js';
export { writeFileAtomic } from './atomicWrite.js';
export { parseWithSchema, readJsonOrYaml } from './node/configFile.js';
