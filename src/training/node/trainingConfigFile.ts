import { readJsonOrYaml } from '../../common/node/configFile.js';
import { parseTrainingConfig, type TrainingConfig } from '../config.js';

/** Reads and validates a JSON or YAML (.yml, .yaml) training configuration file; errors name the file. */
export function readTrainingConfig(path: string): TrainingConfig {
  return parseTrainingConfig(readJsonOrYaml(path), path);
}
