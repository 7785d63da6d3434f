/**
 * Teacher evaluation on a dataset's labelled originals, with the pipeline's eval metrics (the numbers
 * `distillery eval` prints): accuracy, macro-F1, ECE with its reliability table, temperature sweep.
 */
import { DistilleryError } from '../core/errors.ts';
import { softmaxT } from '../core/soft-labels.ts';
import { runSteps, runStepsYielding, STEP_ROWS, type Steps } from '../core/steps.ts';
import {
  accuracy,
  argmax,
  calibration,
  macroF1,
  temperatureSweep,
  type ReliabilityBin,
  type TemperaturePoint,
} from '../core/metrics.ts';
import type { DatasetReader } from '../store/index.ts';
import { pickTeacher } from './dataset-report.ts';
import { goldLabelIndex } from './label-names.ts';

export interface TeacherEvaluation {
  dataset: string;
  teacher: string;
  labels: string[];
  /** originals with a gold label the teacher knows and a stored output */
  examples: number;
  accuracy: number;
  macroF1: number;
  ece: number;
  reliability: ReliabilityBin[];
  sweep: TemperaturePoint[];
}

/** In one pass (the CLI report). */
export function evaluateTeacher(store: DatasetReader, datasetId: string, teacher?: string): TeacherEvaluation {
  return runSteps(evaluationSteps(store, datasetId, teacher));
}

/** The same, letting the event loop run every few hundred rows (the dashboard's server). */
export function evaluateTeacherYielding(
  store: DatasetReader,
  datasetId: string,
  teacher?: string,
): Promise<TeacherEvaluation> {
  return runStepsYielding(evaluationSteps(store, datasetId, teacher));
}

function* evaluationSteps(store: DatasetReader, datasetId: string, teacher?: string): Steps<TeacherEvaluation> {
  store.requireDataset(datasetId);
  const chosen = pickTeacher(store, datasetId, teacher);
  if (!chosen?.info)
    throw new DistilleryError('NOT_FOUND', `dataset ${datasetId} has no labelled teacher outputs`, {
      hint: 'run a job on it first',
    });
  const labels = chosen.info.labels;
  const logits: Float32Array[] = [];
  const gold: number[] = [];
  let seen = 0;
  const rows = store.iterateLabelled(
    datasetId,
    chosen.fingerprint,
    { logits: true, temperatures: [1], encoding: chosen.spec.encoding },
    { prefetch: true },
  );
  for (const { example, output } of rows) {
    if (++seen % STEP_ROWS === 0) yield;
    if (example.origin.kind !== 'original' || !output?.logits) continue;
    const g = goldLabelIndex(example.label, labels);
    if (g < 0) continue;
    logits.push(output.logits);
    gold.push(g);
  }
  if (gold.length === 0) {
    throw new DistilleryError(
      'INVALID_INPUT',
      `dataset ${datasetId} has no labelled originals with gold labels among ${labels.join(', ')}`,
      {
        hint: 'evaluate on a corpus with a label column (e.g. sst2/dev.jsonl)',
      },
    );
  }
  const probs = logits.map((z) => softmaxT(z, 1));
  const predicted = probs.map((p) => argmax(p));
  const cal = calibration(probs, gold, 10);
  return {
    dataset: datasetId,
    teacher: chosen.info.name,
    labels: [...labels],
    examples: gold.length,
    accuracy: accuracy(predicted, gold),
    macroF1: macroF1(predicted, gold, labels.length).macroF1,
    ece: cal.ece,
    reliability: cal.table,
    sweep: temperatureSweep(logits, gold),
  };
}
