/**
 * `distillery models expose-topk IN OUT`: a copy of a causal-LM folder whose graph also outputs the
 * per-position targets (expose-targets.ts), for use outside distillery. The teacher does the same
 * rewrite by itself at load, so a job never needs this step.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
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
  const onnxDir = path.join(inDir, 'onnx');
  if (!existsSync(onnxDir)) {
    throw new DistilleryError('NOT_FOUND', `No onnx/ folder in ${inDir}`, {
      hint: 'IN_DIR must be a Hugging Face-layout ONNX model folder',
    });
  }
  if (path.resolve(inDir) === path.resolve(outDir)) {
    throw new DistilleryError('INVALID_INPUT', 'OUT_DIR must differ from IN_DIR', {
      hint: 'the original model is never modified in place',
    });
  }
  const config = JSON.parse(readFileSync(path.join(inDir, 'config.json'), 'utf8')) as { vocab_size?: number };
  const vocab = Number(config.vocab_size);
  if (defaults.k !== undefined && (!Number.isInteger(defaults.k) || defaults.k < 1 || defaults.k > vocab)) {
    throw new DistilleryError('INVALID_INPUT', `--k must be an integer from 1 to the vocabulary size ${vocab}`, {
      details: { field: 'k' },
    });
  }
  mkdirSync(outDir, { recursive: true });
  cpSync(inDir, outDir, { recursive: true, filter: (src) => !src.endsWith('.onnx') });
  const report: ExposeTopkReport = { outDir: path.resolve(outDir), files: [] };
  for (const file of readdirSync(onnxDir)
    .filter((f) => f.endsWith('.onnx'))
    .sort()) {
    const result = exposeTargets(readFileSync(path.join(onnxDir, file)), defaults);
    writeFileSync(path.join(outDir, 'onnx', file), result.bytes);
    report.files.push({ file: `onnx/${file}`, alreadyPresent: result.alreadyPresent, hidden: result.hidden });
  }
  return report;
}
