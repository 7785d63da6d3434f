/**
 * Finalize from parts, in process on real SQLite files: the merge stores the workers' encoded blobs byte
 * for byte (the bytes putOutputs' decode + re-encode gives), resumes after its last committed group when
 * it stops halfway, and the exports written straight from the parts (no store) are the same bytes as the
 * exports of the merged store.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Encoding, Example, TeacherInfo, TeacherOutput } from '../../src/core/types.ts';
import { exportJobTargets, parseJob } from '../../src/jobs/index.ts';
import { mergeParts, type ChunkResult } from '../../src/jobs/scale/finalize.ts';
import { exportFromParts } from '../../src/jobs/scale/export-from-parts.ts';
import { writePart } from '../../src/jobs/scale/part-file.ts';
import { encodeTeacherOutput, inputHash, openStore } from '../../src/store/index.ts';
import { SST2_DEV } from '../jobs/helpers/pipeline-fixture.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { exportSha256 } from './helpers.ts';

const dir = tempDir('distillery-finalize-merge-');
const texts = readFileSync(SST2_DEV, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => (JSON.parse(l) as { text: string }).text);

const teacher: TeacherInfo = {
  name: 'parts-teacher',
  fingerprint: 'a'.repeat(64),
  task: 'text-classification',
  labels: ['neg', 'pos'],
  device: 'cpu',
  dtype: 'fp32',
  maxLength: 128,
  hiddenLayers: 4,
  attentionLayers: 0,
};

// outputs with every kind of component a classifier part holds, from sines (no two alike)
function output(i: number): TeacherOutput {
  const wave = (n: number, phase: number) =>
    Float32Array.from({ length: n }, (_, k) => 3 * Math.sin(i * 0.7 + k + phase));
  return {
    tokens: 5 + (i % 30),
    truncated: i % 17 === 0,
    logits: wave(2, 0),
    topK: [{ ids: Int32Array.of(i % 2, 1 - (i % 2)), logits: wave(2, 1), logSumExp: 0.5 + i / 1000 }],
    hidden: [{ layer: 2, pooling: 'cls', value: { data: wave(8, 2), shape: [8] } }],
  };
}

function example(i: number): Example {
  return { id: String(i), text: texts[i % texts.length]!, label: i % 2, origin: { kind: 'original' } };
}

// every fourth record also has an augmentation, so origins with params go through both paths
const augmentation = (i: number): Example => ({
  id: `${i}-aug`,
  text: `${texts[i % texts.length]} again`,
  label: i % 2,
  origin: {
    kind: 'augmentation',
    parentId: String(i),
    ops: ['swap'],
    params: { n: i % 3 },
    seed: `${i}`,
    changed: [1],
  },
});

/** A chunk's rows as a worker writes them: each record's original, then its augmentation if it has one. */
const chunkRows = (first: number, records: number): { e: Example; i: number }[] =>
  Array.from({ length: records }, (_, k) => first + k).flatMap((i) =>
    i % 4 === 3
      ? [
          { e: example(i), i },
          { e: augmentation(i), i: 100_000 + i },
        ]
      : [{ e: example(i), i }],
  );

/** A job of `chunks` chunks of `size` records, written as the parts workers write. */
function writeParts(name: string, chunks: number, size: number, encoding: Encoding) {
  const job = parseJob({
    dataset: `parts-${name}`,
    corpus: { path: path.join(dir, 'none.jsonl') },
    teachers: ['parts-teacher'],
    outputs: { temperatures: [1, 2], topK: 2, hidden: { layers: [2], pooling: 'cls' }, encoding },
    chunkSize: size,
    export: [
      { format: 'parquet', out: path.join(dir, `out-${name}`) },
      { format: 'jsonl', out: path.join(dir, `out-${name}`) },
      { format: 'safetensors', out: path.join(dir, `out-${name}`) },
    ],
  });
  const partsDir = path.join(dir, `parts-${name}`);
  const results: ChunkResult[] = [];
  for (let c = 0; c < chunks; c++) {
    const rows = chunkRows(c * size, size);
    const examples = rows.map((r) => r.e);
    const outs = rows.map(({ e, i }) => ({ hash: inputHash(e), enc: encodeTeacherOutput(output(i), encoding) }));
    const o = outs.map(({ hash, enc }, k) => ({
      inputHash: hash,
      tokens: output(rows[k]!.i).tokens,
      truncated: output(rows[k]!.i).truncated,
      components: enc.map((x) => [x.component, x.blob.length] as [string, number]),
    }));
    const w = writePart(partsDir, {
      header: {
        job: `parts-${name}-0`,
        dataset: `parts-${name}`,
        chunk: c,
        records: size,
        examples,
        counts: { augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 },
        opCounts: [],
        teachers: [{ name: teacher.name, fingerprint: teacher.fingerprint, encoding, outputs: o }],
      },
      blobs: [outs.map(({ enc }) => enc.map((x) => x.blob))],
    });
    results.push({
      chunk: c,
      part: path.basename(w.file),
      sha256: w.sha256,
      bytes: w.bytes,
      examples: examples.length,
      computed: examples.length,
      cached: 0,
      teachers: [teacher],
      worker: 'test',
      seconds: 0,
    });
  }
  return { job, partsDir, results };
}

const manifestsOf = (out: string) =>
  readdirSync(out)
    .filter((f) => f.endsWith('.manifest.json'))
    .sort()
    .map((f) => {
      const m = JSON.parse(readFileSync(path.join(out, f), 'utf8')) as { command?: string };
      delete m.command;
      return m;
    });

test('the merge stores the parts blobs as putOutputs would, for fp32, fp16 and int8', () => {
  for (const encoding of ['fp32', 'fp16', 'int8'] as const) {
    const { job, partsDir, results } = writeParts(`blobs-${encoding}`, 2, 80, encoding);
    const merged = openStore(path.join(dir, `blobs-${encoding}-merged.db`));
    mergeParts(merged, job, partsDir, results);
    merged.close();
    // the old way: every output decoded and put through the codec again
    const direct = openStore(path.join(dir, `blobs-${encoding}-direct.db`));
    direct.registerTeacher(teacher);
    direct.putOutputs(
      teacher.fingerprint,
      chunkRows(0, 160).map(({ e, i }) => ({ inputHash: inputHash(e), output: output(i) })),
      { encoding },
    );
    direct.close();
    const rows = (file: string) =>
      new Database(path.join(dir, file), { readonly: true })
        .prepare(
          'SELECT hex(input_hash) h, component, dtype, tokens, truncated, hex(data) d FROM teacher_outputs ORDER BY h, component',
        )
        .all();
    const a = rows(`blobs-${encoding}-merged.db`);
    assert.equal(a.length, 200 * 3);
    assert.deepEqual(a, rows(`blobs-${encoding}-direct.db`), encoding);
  }
});

test('a blob in another encoding than its part says is refused, and nothing of that call is stored', () => {
  const store = openStore(path.join(dir, 'refuse.db'));
  const good = encodeTeacherOutput(output(1), 'fp16');
  const bad = encodeTeacherOutput(output(2), 'int8');
  const entry = (i: number, enc: typeof good) => ({
    inputHash: inputHash(example(i)),
    tokens: 5,
    truncated: false,
    components: enc.map((x) => ({ component: x.component, blob: x.blob })),
  });
  assert.throws(
    () => store.putEncodedOutputs(teacher.fingerprint, [entry(1, good), entry(2, bad)], { encoding: 'fp16' }),
    /is not a fp16 blob/,
  );
  assert.equal(store.countOutputs(), 0);
  store.close();
});

test('a merge stopped after a committed group resumes there; exports from the parts equal the store exports', () => {
  const { job, partsDir, results } = writeParts('resume', 6, 70, 'fp16');
  // one go, default groups
  const whole = openStore(path.join(dir, 'whole.db'));
  const r = mergeParts(whole, job, partsDir, results);
  assert.equal(r.examples, 525);
  exportJobTargets(whole, job, job.dataset, 'test');
  whole.close();
  const storeExports = exportSha256(path.join(dir, 'out-resume'));
  const storeManifests = manifestsOf(path.join(dir, 'out-resume'));
  assert.equal(Object.keys(storeExports).length, 3);

  // two chunks (175 rows) per transaction; the run dies after the second commit (4 chunks in)
  const resumed = openStore(path.join(dir, 'resumed.db'));
  const seen: number[] = [];
  assert.throws(
    () =>
      mergeParts(resumed, job, partsDir, results, {
        groupRows: 150,
        onChunk: (n) => {
          seen.push(n);
          if (n === 4) throw new Error('killed');
        },
      }),
    /killed/,
  );
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.equal(resumed.exampleCounts(job.dataset).examples, 350);
  const again = mergeParts(resumed, job, partsDir, results, { groupRows: 150, onChunk: (n) => seen.push(n) });
  assert.equal(again.examples, 525);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  exportJobTargets(resumed, job, job.dataset, 'test');
  resumed.close();
  assert.deepEqual(exportSha256(path.join(dir, 'out-resume')), storeExports);

  // no store at all: the same files, byte for byte, and the same manifests
  const x = exportFromParts(job, partsDir, results, 'test');
  assert.equal(x.examples, 525);
  assert.equal(x.exports.length, 3);
  assert.deepEqual(exportSha256(path.join(dir, 'out-resume')), storeExports);
  assert.deepEqual(manifestsOf(path.join(dir, 'out-resume')), storeManifests);
});

test('examples: a batch of 150 partly stored already takes ordinals only for its new ids', () => {
  const store = openStore(path.join(dir, 'bulk.db'));
  store.createDataset({ id: 'd' });
  const batch = chunkRows(0, 120).map((r) => r.e);
  assert.deepEqual(store.addExamples('d', batch.slice(0, 100)), { inserted: 100, skipped: 0 });
  assert.deepEqual(store.addExamples('d', batch), { inserted: 50, skipped: 100 });
  assert.equal(batch.length, 150);
  const all = [...store.iterateExamples('d')];
  assert.deepEqual(
    all.map((e) => [e.ordinal, e.id]),
    batch.map((e, i) => [i, e.id]),
  );
  store.close();
});
