/**
 * The merge reads its parts on a worker thread and takes each row's input hash from the part's outputs
 * where they line up with the rows: the stored examples must be those `addExamples` stores (input hashes
 * included), also for a chunk whose inputs repeat (hashed on the merging thread), the exports written
 * straight from the parts must be the store's, and a corrupt part met halfway must fail the merge with
 * its name, the groups before it committed.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Example, TeacherInfo } from '../../src/core/types.ts';
import { exportJobTargets, parseJob } from '../../src/jobs/index.ts';
import { exportFromParts } from '../../src/jobs/scale/export-from-parts.ts';
import { mergeParts, type ChunkResult } from '../../src/jobs/scale/finalize.ts';
import { writePart } from '../../src/jobs/scale/part-file.ts';
import { PartPrefetcher } from '../../src/jobs/scale/part-prefetch.ts';
import { encodeTeacherOutput, inputHash, openStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { exportSha256 } from './helpers.ts';

const dir = tempDir('distillery-finalize-prefetch-');

const teacher: TeacherInfo = {
  name: 'prefetch-teacher',
  fingerprint: 'b'.repeat(64),
  task: 'text-classification',
  labels: ['neg', 'pos'],
  device: 'cpu',
  dtype: 'fp32',
  maxLength: 128,
  hiddenLayers: 0,
  attentionLayers: 0,
};

// every fifth row repeats the text of the row before it (same input, another id) where `repeats` is set;
// pairs, string labels, unicode and whitespace that normalization folds go through both paths
function example(i: number, repeats: boolean): Example {
  const n = repeats && i % 5 === 4 ? i - 1 : i;
  return {
    id: `r${i}`,
    text: `  Café   ${n}\tnumber ${n % 7} `,
    ...(n % 3 === 0 ? { textPair: `paire ${n}` } : {}),
    ...(i % 4 === 0 ? {} : { label: i % 2 === 0 ? 'pos' : i }),
    origin:
      i % 6 === 5
        ? {
            kind: 'augmentation',
            parentId: `r${i - 1}`,
            ops: ['swap'],
            params: { n: i % 3 },
            seed: `${i}`,
            changed: [1],
          }
        : { kind: 'original' },
  };
}

/** Parts as workers write them: each teacher lists the distinct input hashes in row order. */
function writeParts(name: string, chunks: number, size: number, repeats: boolean) {
  const job = parseJob({
    dataset: `prefetch-${name}`,
    corpus: { path: path.join(dir, 'none.jsonl') },
    teachers: ['prefetch-teacher'],
    outputs: { temperatures: [1], encoding: 'fp16' },
    chunkSize: size,
    export: [
      { format: 'parquet', out: path.join(dir, `out-${name}`) },
      { format: 'jsonl', out: path.join(dir, `out-${name}`) },
    ],
  });
  const partsDir = path.join(dir, `parts-${name}`);
  const results: ChunkResult[] = [];
  const all: Example[] = [];
  for (let c = 0; c < chunks; c++) {
    const examples = Array.from({ length: size }, (_, k) => example(c * size + k, repeats));
    all.push(...examples);
    const hashes = [...new Set(examples.map(inputHash))];
    const encoded = hashes.map((h, k) =>
      encodeTeacherOutput({ tokens: 9, truncated: false, logits: Float32Array.of(k, -k) }, 'fp16'),
    );
    const w = writePart(partsDir, {
      header: {
        job: `prefetch-${name}-0`,
        dataset: job.dataset,
        chunk: c,
        records: size,
        examples,
        counts: { augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 },
        opCounts: [],
        teachers: [
          {
            name: teacher.name,
            fingerprint: teacher.fingerprint,
            encoding: 'fp16',
            outputs: hashes.map((inputHash, k) => ({
              inputHash,
              tokens: 9,
              truncated: false,
              components: encoded[k]!.map((x) => [x.component, x.blob.length] as [string, number]),
            })),
          },
        ],
      },
      blobs: [encoded.map((enc) => enc.map((x) => x.blob))],
    });
    results.push({
      chunk: c,
      part: path.basename(w.file),
      sha256: w.sha256,
      bytes: w.bytes,
      examples: size,
      computed: hashes.length,
      cached: 0,
      teachers: [teacher],
      worker: 'test',
      seconds: 0,
    });
  }
  return { job, partsDir, results, all };
}

const exampleRows = (file: string) => {
  const db = new Database(file, { readonly: true });
  const rows = db
    .prepare('SELECT ordinal, id, text, text_pair, label, origin, hex(input_hash) h FROM examples ORDER BY ordinal')
    .all();
  db.close();
  return rows;
};

for (const repeats of [false, true]) {
  test(`merged examples equal addExamples' rows, input hashes included (${repeats ? 'repeated' : 'distinct'} inputs)`, () => {
    const name = repeats ? 'repeats' : 'distinct';
    const { job, partsDir, results, all } = writeParts(name, 3, 40, repeats);
    const merged = openStore(path.join(dir, `${name}-merged.db`));
    const r = mergeParts(merged, job, partsDir, results, { groupRows: 50 });
    assert.equal(r.examples, 120);
    merged.close();
    const direct = openStore(path.join(dir, `${name}-direct.db`));
    direct.createDataset({ id: job.dataset });
    direct.addExamples(job.dataset, all);
    direct.close();
    const rows = exampleRows(path.join(dir, `${name}-merged.db`));
    assert.deepEqual(rows, exampleRows(path.join(dir, `${name}-direct.db`)));
    assert.equal(new Set(rows.map((x) => (x as { h: string }).h)).size, repeats ? 96 : 120);
    // the exports written straight from the parts (rows matched to outputs there too) are the store's
    const store = openStore(path.join(dir, `${name}-merged.db`));
    exportJobTargets(store, job, job.dataset, 'test');
    store.close();
    const fromStore = exportSha256(path.join(dir, `out-${name}`));
    assert.equal(Object.keys(fromStore).length, 2);
    exportFromParts(job, partsDir, results, 'test');
    assert.deepEqual(exportSha256(path.join(dir, `out-${name}`)), fromStore);
  });
}

test('a corrupt part met halfway fails the merge with its name; the groups before it stay committed', () => {
  const { job, partsDir, results } = writeParts('corrupt', 5, 30, false);
  const victim = path.join(partsDir, results[3]!.part);
  const good = readFileSync(victim);
  writeFileSync(victim, Buffer.concat([good.subarray(0, -1), Buffer.from([good.at(-1)! ^ 1])]));
  const store = openStore(path.join(dir, 'corrupt.db'));
  const committed: number[] = [];
  assert.throws(
    () => mergeParts(store, job, partsDir, results, { groupRows: 60, onChunk: (n) => committed.push(n) }),
    (e: Error & { code?: string; hint?: string }) =>
      e.message.startsWith(`part ${victim} is corrupt: sha256 `) && e.code === 'INVALID_INPUT' && /rerun/.test(e.hint!),
  );
  assert.deepEqual(committed, [1, 2]);
  assert.equal(store.exampleCounts(job.dataset).examples, 60);
  writeFileSync(victim, good);
  const again = mergeParts(store, job, partsDir, results, { onChunk: (n) => committed.push(n) });
  assert.equal(again.examples, 150);
  assert.deepEqual(committed, [1, 2, 3, 4, 5]);
  store.close();
});

test('the part reader hands over every part in order when it may hold only one ahead, and stops when closed', () => {
  const { partsDir, results } = writeParts('ahead', 6, 10, false);
  const reader = new PartPrefetcher(partsDir, results, 1);
  assert.deepEqual(
    results.map(() => reader.nextRows().chunk),
    [0, 1, 2, 3, 4, 5],
  );
  reader.close();
  const early = new PartPrefetcher(partsDir, results, 1);
  assert.equal(early.nextRows().chunk, 0);
  early.close();
  assert.throws(() => early.nextRows(), /closed/);
});
