/**
 * The teacher fingerprint: sha256 over the ONNX file(s), config, tokenizer files, dtype and max length.
 * It keys every cached output, so changing any of these can never serve a stale result.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { ModelFiles } from './model-files.ts';

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function teacherFingerprint(files: ModelFiles, dtype: string, maxLength: number): Promise<string> {
  const parts = [files.onnxPath, ...files.externalData, files.configPath, ...files.tokenizerFiles];
  const h = createHash('sha256');
  h.update('distillery-teacher-v1\n');
  for (const file of parts) {
    // Names relative to the folder, so moving a model folder keeps its fingerprint.
    h.update(`${path.relative(files.dir, file)}:${await hashFile(file)}\n`);
  }
  h.update(`dtype:${dtype}\nmaxLength:${maxLength}\n`);
  return h.digest('hex');
}
