import { writeFileAtomic } from '../../common/node/atomicWrite.js';
import { evaluationToCsv, evaluationToJson, type EvaluationReport } from '../evaluate.js';

/** Writes the report atomically: `.json` → {@link evaluationToJson}, `.csv` → {@link evaluationToCsv}. */
export function writeEvaluation(report: EvaluationReport, path: string): void {
  if (path.endsWith('.json')) writeFileAtomic(path, evaluationToJson(report));
  else if (path.endsWith('.csv')) writeFileAtomic(path, evaluationToCsv(report));
  else throw new Error(`writeEvaluation: '${path}' must end in .json or .csv`);
}
