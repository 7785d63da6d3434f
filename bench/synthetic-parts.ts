/**
 * Synthetic parts for the finalize benchmarks: SST-2-length texts, 2-class logits at fp16, written as
 * the part files a worker writes, plus the chunk results the coordinator's finalize receives.
 */
import path from 'node:path';
import type { Example, TeacherInfo, TeacherOutput } from '../src/core/types.ts';
import { parseJob, type JobSpec } from '../src/jobs/job-schema.ts';
import { encodeTeacherOutput, inputHash } from '../src/store/index.ts';
import type { ChunkResult } from '../src/jobs/scale/finalize.ts';
import { writePart } from '../src/jobs/scale/part-file.ts';
import { sst2Dev } from './corpus.ts';

export const syntheticTeacher: TeacherInfo = {
  name: 'synthetic',
  fingerprint: 'f'.repeat(64),
  task: 'text-classification',
  labels: ['neg', 'pos'],
  device: 'cpu',
  dtype: 'fp32',
  maxLength: 128,
  hiddenLayers: 0,
  attentionLayers: 0,
};

export interface SyntheticParts {
  job: JobSpec;
  results: ChunkResult[];
  example(i: number): Example;
  output(i: number): TeacherOutput;
}

/** Writes ceil(rows / chunk) parts into `<dir>/parts`; the job exports Parquet into `<dir>/out`. */
export function writeSyntheticParts(dir: string, rows: number, chunk: number): SyntheticParts {
  const texts = sst2Dev().map((r) => r.text);
  const info = syntheticTeacher;
  const job = parseJob({
    dataset: 'merge-bench',
    corpus: { path: path.join(dir, 'none.jsonl') },
    teachers: ['synthetic'],
    outputs: { temperatures: [1, 2], encoding: 'fp16' },
    chunkSize: chunk,
    export: [{ format: 'parquet', out: path.join(dir, 'out') }],
  });
  const example = (i: number): Example => ({
    id: String(i + 1),
    text: `${texts[i % texts.length]} ${i}`,
    label: i % 2,
    origin: { kind: 'original' },
  });
  const output = (i: number): TeacherOutput => ({
    tokens: 20,
    truncated: false,
    logits: Float32Array.of(Math.sin(i), Math.cos(i)),
  });
  const results: ChunkResult[] = [];
  for (let c = 0; c * chunk < rows; c++) {
    const n = Math.min(chunk, rows - c * chunk);
    const examples = Array.from({ length: n }, (_, k) => example(c * chunk + k));
    const encoded = examples.map((e, k) => ({ e, enc: encodeTeacherOutput(output(c * chunk + k), 'fp16') }));
    const w = writePart(path.join(dir, 'parts'), {
      header: {
        job: 'merge-bench',
        dataset: 'merge-bench',
        chunk: c,
        records: n,
        examples,
        counts: { augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 },
        opCounts: [],
        teachers: [
          {
            name: info.name,
            fingerprint: info.fingerprint,
            encoding: 'fp16',
            outputs: encoded.map(({ e, enc }) => ({
              inputHash: inputHash(e),
              tokens: 20,
              truncated: false,
              components: enc.map((x) => [x.component, x.blob.length] as [string, number]),
            })),
          },
        ],
      },
      blobs: [encoded.map(({ enc }) => enc.map((x) => x.blob))],
    });
    results.push({
      chunk: c,
      part: path.basename(w.file),
      sha256: w.sha256,
      bytes: w.bytes,
      examples: n,
      computed: n,
      cached: 0,
      teachers: [info],
      worker: 'bench',
      seconds: 0,
    });
  }
  return { job, results, example, output };
}
