import { readJsonOrYaml } from '../../common/node/configFile.js';
import { parseStudyConfig, type StudyConfig } from '../grid.js';

/** Reads and validates a JSON or YAML study configuration file; errors name the file. */
export function readStudyConfig(path: string): StudyConfig {
  return parseStudyConfig(readJsonOrYaml(path), path);
}
