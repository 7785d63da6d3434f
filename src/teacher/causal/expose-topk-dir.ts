/**
 * `distillery models expose-topk IN OUT`: a copy of a causal-LM folder whose graph also outputs the
 * per-position targets (expose-targets.ts), for use outside distillery. The teacher does the same
 * rewrite by itself at load, so a job never needs this step.
 */
import { DistilleryError } from '../../core/errors.ts';
import { modelDirConfig, rewriteModelDir } from '../onnx/rewrite-model-dir.ts';
import { exposeTargets } from './expose-targets.ts';

export interface ExposeTopkReport {
  outDir: string;
  files: { file: string; alreadyPresent: boolean; hidden: boolean }[];
}

export function exposeTopkDir(
  inDir: string,
  outDir: string,
  defaults: { k?: number; temperature?: number },
): ExposeTopkReport {
  const vocab = Number(modelDirConfig(inDir, outDir).vocab_size);
  if (defaults.k !== undefined && (!Number.isInteger(defaults.k) || defaults.k < 1 || defaults.k > vocab)) {
    throw new DistilleryError('INVALID_INPUT', `--k must be an integer from 1 to the vocabulary size ${vocab}`, {
      details: { field: 'k' },
    });
  }
  return rewriteModelDir(inDir, outDir, (model) => {
    const { bytes, alreadyPresent, hidden } = exposeTargets(model, defaults);
    return { bytes, facts: { alreadyPresent, hidden } };
  });
}
