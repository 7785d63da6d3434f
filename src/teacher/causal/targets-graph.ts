/**
 * The teacher's model with the targets nodes appended (expose-targets.ts), written once into a cache
 * folder keyed by the original graph's sha256 and reused by every later load. The model folder itself
 * is never written to; external-data files (model.onnx_data) are linked beside the copy, because the
 * graph names them by relative path.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exposeTargets, type ExposeTargetsOptions } from './expose-targets.ts';

/** Bump when expose-targets.ts changes what it writes. */
export const TARGETS_GRAPH_VERSION = 4;

export interface TargetsGraph {
  path: string;
  /** the rewritten graph's bytes (inputs and their shapes are read from them) */
  bytes: Uint8Array;
  hidden: boolean;
}

export function defaultGraphCache(): string {
  return path.join(os.tmpdir(), 'distillery-graphs');
}

export function targetsGraph(
  onnxPath: string,
  externalData: readonly string[],
  cacheDir: string,
  opts: ExposeTargetsOptions = {},
): TargetsGraph {
  const original = readFileSync(onnxPath);
  // the rewrite's version and variant are part of the key, so a changed rewrite never reuses an old copy
  const digest = createHash('sha256')
    .update(`targets-graph-v${TARGETS_GRAPH_VERSION}${opts.keepLogits ? '-keep-logits' : ''}\n`)
    .update(original)
    .digest('hex');
  const dir = path.join(cacheDir, digest.slice(0, 32));
  const file = path.join(dir, path.basename(onnxPath));
  const result = exposeTargets(original, {}, opts);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    for (const data of externalData) {
      const link = path.join(dir, path.basename(data));
      if (!existsSync(link)) symlinkSync(path.resolve(data), link);
    }
    // write-then-rename: two processes loading the same teacher never see a half-written graph
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, result.bytes);
    renameSync(tmp, file);
  }
  return { path: file, bytes: result.bytes, hidden: result.hidden };
}
