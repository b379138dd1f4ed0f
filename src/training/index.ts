/** gendice training, universal parts: the configuration, the optimizer with exact state, the batch Dice. On disk: ./node/. */
export { trainingConfigSchema, parseTrainingConfig } from './config.js';
export type { TrainingConfig, TrainingConfigInput } from './config.js';
export { createOptimizer, learningRateAt } from './optimizer.js';
export type { OptimizerState, TrainingOptimizer } from './optimizer.js';
export { batchDice } from './batchDice.js';
