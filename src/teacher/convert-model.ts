/**
 * `distillery models convert IN OUT --dtype fp16`: writes OUT/onnx/model_fp16.onnx from IN/onnx/model.onnx
 * (the transformers.js layout, so `dtype: fp16` in a teacher entry picks it). OUT may be IN itself: the
 * new graph goes beside the fp32 one and nothing else is touched; otherwise the folder is copied first.
 */
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import { DTYPE_SUFFIX } from './model-files.ts';
import { convertToFloat16, type Float16Report } from './onnx/float16-convert.ts';
import type { ProtoWriter } from './onnx/protobuf-writer.ts';

export const CONVERT_DTYPES = ['fp16'] as const;
export type ConvertDtype = (typeof CONVERT_DTYPES)[number];

export interface ConvertReport extends Float16Report {
  file: string;
  bytes: number;
}

/** Writes a ProtoWriter's chunks to `file` without joining them (a BERT-base graph is ~220 MB in fp16). */
export function writeProto(file: string, writer: ProtoWriter): number {
  const fd = openSync(file, 'w');
  let bytes = 0;
  try {
    writer.forEachChunk((chunk) => {
      let offset = 0;
      while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
      bytes += chunk.length;
    });
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** The fp16 graph of one fp32 ONNX file, written to `outFile`. */
export function convertOnnxFile(inFile: string, outFile: string): ConvertReport {
  const { writer, report } = convertToFloat16(readFileSync(inFile));
  return { ...report, file: outFile, bytes: writeProto(outFile, writer) };
}

export function convertModelDir(
  inDir: string,
  outDir: string,
  opts: { dtype: string; force?: boolean },
): ConvertReport {
  if (!(CONVERT_DTYPES as readonly string[]).includes(opts.dtype)) {
    throw new DistilleryError('INVALID_INPUT', `Cannot convert to dtype "${opts.dtype}"`, {
      hint: `supported: ${CONVERT_DTYPES.join(', ')} (q8 graphs come from models build-fixtures / build-bench)`,
    });
  }
  const source = path.join(inDir, 'onnx', 'model.onnx');
  if (!existsSync(source)) {
    throw new DistilleryError('NOT_FOUND', `No onnx/model.onnx in ${inDir}`, {
      hint: 'IN must be a Hugging Face-layout model folder with the fp32 graph at onnx/model.onnx',
    });
  }
  const target = path.join(outDir, 'onnx', `model${DTYPE_SUFFIX[opts.dtype]}.onnx`);
  if (existsSync(target) && !opts.force) {
    throw new DistilleryError('INVALID_INPUT', `${target} already exists`, {
      hint: 'pass --force to replace it, or choose another OUT folder',
    });
  }
  // Convert in memory first: a graph that cannot be converted leaves OUT untouched.
  const { writer, report } = convertToFloat16(readFileSync(source));
  if (path.resolve(inDir) !== path.resolve(outDir)) {
    mkdirSync(outDir, { recursive: true });
    // Files already in OUT are kept; IN's own copy of the target is not carried over.
    const skip = path.resolve(inDir, 'onnx', path.basename(target));
    cpSync(inDir, outDir, { recursive: true, force: false, filter: (src) => path.resolve(src) !== skip });
  }
  return { ...report, file: path.resolve(target), bytes: writeProto(target, writer) };
}
