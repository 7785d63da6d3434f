/**
 * Finalize merge speed: parts -> coordinator store, the step that cannot scale out. Writes --rows
 * synthetic rows (SST-2-length texts, 2-class logits, fp16) as parts of --chunk rows, then times
 * mergeParts into a fresh store; the baseline in the same run is the store's own addExamples +
 * putOutputs of the same rows without parts (what a plain run's commits cost). Also times the scan that
 * `run --parts DIR` (the queue-free merge) adds before it: every part in the directory read and hashed.
 *
 *   npx tsx bench/finalize-merge.ts [--rows 100000] [--chunk 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Example, TeacherInfo, TeacherOutput } from '../src/core/types.ts';
import { parseJob } from '../src/jobs/job-schema.ts';
import { encodeTeacherOutput, inputHash, openStore } from '../src/store/index.ts';
import { mergeParts, type ChunkResult } from '../src/jobs/scale/finalize.ts';
import { writePart } from '../src/jobs/scale/part-file.ts';
import { listParts } from '../src/jobs/scale/parts-dir.ts';
import { sst2Dev } from './corpus.ts';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, chunk: { type: 'string', default: '1000' } },
});
const rows = Number(values.rows);
const chunk = Number(values.chunk);
const dir = mkdtempSync(path.join(tmpdir(), 'distillery-merge-bench-'));
const texts = sst2Dev().map((r) => r.text);
const info: TeacherInfo = {
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
const job = parseJob({
  dataset: 'merge-bench',
  corpus: { path: path.join(dir, 'none.jsonl') },
  teachers: ['synthetic'],
  outputs: { temperatures: [1, 2], encoding: 'fp16' },
  chunkSize: chunk,
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

try {
  const base = openStore(path.join(dir, 'baseline.db'));
  base.registerTeacher(info);
  base.createDataset({ id: 'merge-bench', spec: {}, manifest: null });
  let t0 = performance.now();
  for (let c = 0; c * chunk < rows; c++) {
    const ids = Array.from({ length: Math.min(chunk, rows - c * chunk) }, (_, k) => c * chunk + k);
    const ex = ids.map(example);
    base.putOutputs(
      info.fingerprint,
      ex.map((e, k) => ({ inputHash: inputHash(e), output: output(ids[k]!) })),
      { encoding: 'fp16' },
    );
    base.addExamples('merge-bench', ex);
  }
  const baseline = (performance.now() - t0) / 1000;
  base.close();

  t0 = performance.now();
  const scanned = listParts(path.join(dir, 'parts'));
  const scan = (performance.now() - t0) / 1000;

  const store = openStore(path.join(dir, 'merged.db'));
  t0 = performance.now();
  const r = mergeParts(store, job, path.join(dir, 'parts'), results);
  const merge = (performance.now() - t0) / 1000;
  store.close();
  console.log(`${r.examples} rows in ${results.length} parts of ${chunk}`);
  console.log(
    `finalize merge   ${merge.toFixed(2)} s  ${Math.round(r.examples / merge).toLocaleString('en')} rows/s (target >= 100,000)`,
  );
  console.log(
    `parts-dir scan   ${scan.toFixed(2)} s  ${Math.round(rows / scan).toLocaleString('en')} rows/s (${scanned.length} parts read and hashed; run --parts DIR only)`,
  );
  console.log(
    `store baseline   ${baseline.toFixed(2)} s  ${Math.round(rows / baseline).toLocaleString('en')} rows/s (same rows, no parts)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
