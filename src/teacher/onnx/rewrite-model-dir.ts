/**
 * The folder half of the `models expose-*` commands: a copy of a Hugging Face-layout ONNX model folder
 * with each onnx/*.onnx rewritten (expose-hidden.ts, causal/expose-targets.ts do the graphs). The
 * original folder is never modified.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';

/** config.json of `inDir`, once `inDir` is a model folder with an onnx/ folder and `outDir` is elsewhere. */
export function modelDirConfig(inDir: string, outDir: string): Record<string, unknown> {
  if (!existsSync(path.join(inDir, 'onnx'))) {
    throw new DistilleryError('NOT_FOUND', `No onnx/ folder in ${inDir}`, {
      hint: 'IN_DIR must be a Hugging Face-layout ONNX model folder',
    });
  }
  if (path.resolve(inDir) === path.resolve(outDir)) {
    throw new DistilleryError('INVALID_INPUT', 'OUT_DIR must differ from IN_DIR', {
      hint: 'the original model is never modified in place',
    });
  }
  return JSON.parse(readFileSync(path.join(inDir, 'config.json'), 'utf8')) as Record<string, unknown>;
}

/**
 * Copies `inDir` to `outDir`, each onnx/*.onnx as `rewrite` gives it, and says what `rewrite` found in
 * each file (in name order).
 */
export function rewriteModelDir<F extends object>(
  inDir: string,
  outDir: string,
  rewrite: (model: Buffer) => { bytes: Uint8Array; facts: F },
): { outDir: string; files: ({ file: string } & F)[] } {
  const onnxDir = path.join(inDir, 'onnx');
  mkdirSync(outDir, { recursive: true });
  cpSync(inDir, outDir, { recursive: true, filter: (src) => !src.endsWith('.onnx') });
  const files: ({ file: string } & F)[] = [];
  for (const file of readdirSync(onnxDir)
    .filter((f) => f.endsWith('.onnx'))
    .sort()) {
    const { bytes, facts } = rewrite(readFileSync(path.join(onnxDir, file)));
    writeFileSync(path.join(outDir, 'onnx', file), bytes);
    files.push({ file: `onnx/${file}`, ...facts });
  }
  return { outDir: path.resolve(outDir), files };
}
