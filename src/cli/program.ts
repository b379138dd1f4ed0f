import { Command } from 'commander';
import { version } from '../node/version.js';
import { registerDemoCommand } from './demo.js';
import { registerEngineCommand } from './engine.js';
import { registerEvaluateCommand } from './evaluate.js';
import { registerLabCommand } from './lab.js';
import { registerPlanCommand } from './plan.js';
import { registerPredictCommand } from './predict.js';
import { registerReportCommand } from './report.js';
import { registerStudyCommand } from './study.js';
import { registerSynthCommand } from './synth.js';
import { registerTrainCommands } from './train.js';
import { registerViewCommand } from './view.js';
import { registerWorkerCommand } from './worker.js';

/**
 * Builds the `gendice` command. Each subcommand lives in its own file under src/cli/ and is
 * registered here; results go to stdout, logs and progress to stderr.
 */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('gendice')
    .description('Segmentation of highly unbalanced 2D and 3D images on TensorFlow.js (Generalised Dice loss and peers)')
    .version(version, '-V, --version')
    .showHelpAfterError()
    .showSuggestionAfterError();
  registerDemoCommand(program);
  registerTrainCommands(program);
  registerPredictCommand(program);
  registerEvaluateCommand(program);
  registerSynthCommand(program);
  registerPlanCommand(program);
  registerStudyCommand(program);
  registerWorkerCommand(program);
  registerReportCommand(program);
  registerEngineCommand(program);
  registerViewCommand(program);
  registerLabCommand(program);
  return program;
}
