/** Locates the files of a Hugging Face-layout ONNX model folder and reads its configuration. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../core/errors.ts';

/** transformers.js file-name suffixes per dtype (onnx/model{suffix}.onnx). */
export const DTYPE_SUFFIX: Readonly<Record<string, string>> = Object.freeze({
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  bnb4: '_bnb4',
  q4f16: '_q4f16',
});

export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
] as const;

export interface ModelFiles {
  dir: string;
  onnxPath: string;
  /** external-data files stored beside the graph (model.onnx_data), if any */
  externalData: string[];
  configPath: string;
  tokenizerFiles: string[];
  config: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new DistilleryError('MODEL_LOAD_FAILED', `Cannot read ${file}: ${(err as Error).message}`, {
      hint: 'the model folder must hold valid JSON in the Hugging Face layout',
      cause: err,
    });
  }
}

export function locateModelFiles(dir: string, dtype: string, onnxBaseName = 'model'): ModelFiles {
  const suffix = DTYPE_SUFFIX[dtype];
  if (suffix === undefined) {
    throw new DistilleryError('CONFIG_INVALID', `Unknown dtype "${dtype}"`, {
      hint: `use one of ${Object.keys(DTYPE_SUFFIX).join(', ')}`,
    });
  }
  if (!existsSync(dir)) {
    throw new DistilleryError('NOT_FOUND', `Model folder ${dir} does not exist`, {
      hint: 'point the teacher at a folder with config.json, tokenizer.json and onnx/model.onnx',
    });
  }
  const onnxPath = path.join(dir, 'onnx', `${onnxBaseName}${suffix}.onnx`);
  if (!existsSync(onnxPath)) {
    throw new DistilleryError('NOT_FOUND', `No ${path.relative(dir, onnxPath)} in ${dir} for dtype ${dtype}`, {
      hint:
        dtype === 'fp32'
          ? 'export the model to ONNX (optimum-cli export onnx) first'
          : 'pick a dtype whose file exists, e.g. fp32',
    });
  }
  const configPath = path.join(dir, 'config.json');
  if (!existsSync(configPath)) {
    throw new DistilleryError('NOT_FOUND', `No config.json in ${dir}`, {
      hint: 'copy config.json from the original model',
    });
  }
  const tokenizerFiles = TOKENIZER_FILES.map((f) => path.join(dir, f)).filter((f) => existsSync(f));
  if (!tokenizerFiles.some((f) => f.endsWith('tokenizer.json'))) {
    throw new DistilleryError('NOT_FOUND', `No tokenizer.json in ${dir}`, {
      hint: 'save the fast tokenizer (tokenizer.save_pretrained) into the model folder',
    });
  }
  const externalData = [`${onnxPath}_data`, `${onnxPath}.data`].filter((f) => existsSync(f));
  const tcPath = path.join(dir, 'tokenizer_config.json');
  return {
    dir,
    onnxPath,
    externalData,
    configPath,
    tokenizerFiles,
    config: readJson(configPath),
    tokenizerConfig: existsSync(tcPath) ? readJson(tcPath) : {},
  };
}
