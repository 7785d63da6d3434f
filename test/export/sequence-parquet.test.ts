import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { isDistilleryError } from '../../src/core/errors.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../../src/core/sequence-types.ts';
import { exportSequencesParquet, TOP_VALUE_PAD } from '../../src/export/sequence-parquet.ts';
import { storedSequenceRows } from '../../src/export/sequence-rows.ts';
import { openStore, SequenceOutputs } from '../../src/store/index.ts';
import { makeTargets } from '../helpers/sequence-targets.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('sequence-parquet-');
const SPEC: SequenceOutputSpec = { temperature: 1, topK: 24, samples: { draws: 50 }, target: true };
const VOCAB = 49_152;

type Row = Record<string, unknown>;

async function readAll(glob: string, orderBy = 'ORDER BY id'): Promise<{ types: Record<string, string>; rows: Row[] }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const types = Object.fromEntries(
    (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${glob}')`)).getRows().map((r) => [r[0], r[1]]),
  ) as Record<string, string>;
  const rows = (await conn.runAndReadAll(`SELECT * FROM read_parquet('${glob}') ${orderBy}`)).getRowObjectsJS();
  conn.closeSync();
  return { types, rows: rows as Row[] };
}

/** What every column of a row must hold, derived from the targets independently of the writer. */
function checkRow(r: Row, t: SequenceTargets, S: number): void {
  const n = t.tokenIds.length;
  const k = t.topk!.k;
  const ids = r.input_ids as number[];
  assert.equal(ids.length, S);
  assert.deepEqual(ids.slice(0, n), [...t.tokenIds]);
  assert.deepEqual(r.attention_mask, [...new Array<number>(n).fill(1), ...new Array<number>(S - n).fill(0)]);
  const rowOf = new Map([...t.positions].map((pos, p) => [pos, p]));
  const labels = r.labels as number[];
  const tokenIds = r.token_ids as number[][];
  const topValues = r.top_values as number[][];
  const sampleIds = r.sample_ids as number[][];
  const sampleCounts = r.sample_counts as number[][];
  assert.equal(tokenIds.length, S);
  assert.equal(topValues.length, S);
  for (let i = 0; i < S; i++) {
    const p = rowOf.get(i);
    assert.equal(tokenIds[i]!.length, k);
    if (p === undefined) {
      assert.equal(labels[i], -100);
      assert.ok(topValues[i]!.every((v) => v === TOP_VALUE_PAD));
      assert.deepEqual(sampleIds[i], []);
      assert.equal((r.target_rank as number[])[i], -1);
      continue;
    }
    assert.equal(labels[i], t.tokenIds[i]);
    assert.deepEqual(tokenIds[i], [...t.topk!.ids.subarray(p * k, (p + 1) * k)]);
    assert.deepEqual(topValues[i], [...t.topk!.logprobs.subarray(p * k, (p + 1) * k)]);
    const s = t.samples!;
    assert.deepEqual(sampleIds[i], [...s.ids.subarray(s.offsets[p], s.offsets[p + 1])]);
    assert.deepEqual(sampleCounts[i], [...s.counts.subarray(s.offsets[p], s.offsets[p + 1])]);
    assert.equal((r.lse as number[])[i], t.lse[p]);
    assert.equal((r.tail_mass as number[])[i], t.topk!.tailMass[p]);
    assert.equal((r.target_logprob as number[])[i], t.target!.logprob[p]);
    assert.equal((r.target_rank as number[])[i], t.target!.rank[p]);
    assert.equal((r.entropy as number[])[i], t.target!.entropy[p]);
  }
}

/** The same sequence with only its even rows scored: a mask with gaps, as masked tool outputs give. */
function everyOtherRow(t: SequenceTargets): SequenceTargets {
  const keep = [...t.positions.keys()].filter((p) => p % 2 === 0);
  const k = t.topk!.k;
  const scored = new Uint8Array(t.scored.length);
  for (const p of keep) scored[t.positions[p]!] = 1;
  const s = t.samples!;
  const offsets = Int32Array.from([0, ...keep.map((p) => s.offsets[p + 1]! - s.offsets[p]!)]);
  for (let i = 1; i < offsets.length; i++) offsets[i]! += offsets[i - 1]!;
  const pick = (a: ArrayLike<number>, w: number): number[] =>
    keep.flatMap((p) => Array.from({ length: w }, (_, j) => a[p * w + j]!));
  const f32 = (a: Float32Array, w: number): Float32Array => Float32Array.from(pick(a, w));
  const i32 = (a: Int32Array, w: number): Int32Array => Int32Array.from(pick(a, w));
  return {
    ...t,
    scored,
    positions: Int32Array.from(keep, (p) => t.positions[p]!),
    lse: f32(t.lse, 1),
    topk: { k, ids: i32(t.topk!.ids, k), logprobs: f32(t.topk!.logprobs, k), tailMass: f32(t.topk!.tailMass, 1) },
    samples: {
      draws: s.draws,
      offsets,
      ids: Int32Array.from(keep.flatMap((p) => [...s.ids.subarray(s.offsets[p], s.offsets[p + 1])])),
      counts: Uint16Array.from(keep.flatMap((p) => [...s.counts.subarray(s.offsets[p], s.offsets[p + 1])])),
    },
    target: {
      logprob: f32(t.target!.logprob, 1),
      rank: i32(t.target!.rank, 1),
      entropy: f32(t.target!.entropy, 1),
    },
  };
}

test('DistillKit schema: nested token_ids / top_values read back by DuckDB and hyparquet, value for value', async () => {
  const made = Array.from({ length: 7 }, (_, i) => makeTargets(`pq-${i}`, VOCAB, 12 + 5 * i, 3 + i, SPEC).targets);
  made[3] = everyOtherRow(made[3]!); // scored positions with gaps between them
  // -inf in the teacher's rows must come out as the finite pad
  made[0]!.topk!.logprobs[made[0]!.topk!.logprobs.length - 1] = -Infinity;
  const out = join(dir, 'plain');
  const res = exportSequencesParquet(
    made.map((targets, i) => ({ id: `s${i}`, targets, provenance: JSON.stringify({ i }) })),
    { outDir: out, prefix: 'seq', spec: SPEC, shardRows: 4, rowGroupPositions: 40 },
  );
  assert.equal(res.rows, 7);
  assert.deepEqual(
    res.files.map((f) => [f.path, f.rows]),
    [
      ['seq-00000.parquet', 4],
      ['seq-00001.parquet', 3],
    ],
  );
  assert.equal(
    res.positions,
    made.reduce((n, t) => n + t.tokenIds.length, 0),
  );
  assert.deepEqual(readdirSync(out).sort(), ['seq-00000.parquet', 'seq-00001.parquet']);

  const { types, rows } = await readAll(join(out, '*.parquet'));
  assert.equal(types.token_ids, 'INTEGER[][]');
  assert.equal(types.top_values, 'FLOAT[][]');
  assert.equal(types.sample_ids, 'INTEGER[][]');
  assert.equal(types.input_ids, 'INTEGER[]');
  assert.equal(types.labels, 'INTEGER[]');
  assert.equal(rows.length, 7);
  made[0]!.topk!.logprobs[made[0]!.topk!.logprobs.length - 1] = TOP_VALUE_PAD;
  rows.forEach((r, i) => {
    checkRow(r, made[i]!, made[i]!.tokenIds.length);
    assert.equal(r.provenance, JSON.stringify({ i }));
    assert.equal(r.truncated, false);
  });

  // an independent second reader agrees on the nested columns
  const file = await asyncBufferFromFile(join(out, 'seq-00001.parquet'));
  const hp = (await parquetReadObjects({ file, columns: ['id', 'token_ids', 'top_values', 'sample_counts'] })) as Row[];
  assert.deepEqual(
    hp.map((r) => r.id),
    ['s4', 's5', 's6'],
  );
  hp.forEach((r, j) => {
    assert.deepEqual(r.token_ids, rows[4 + j]!.token_ids);
    assert.deepEqual(r.top_values, rows[4 + j]!.top_values);
    assert.deepEqual(r.sample_counts, rows[4 + j]!.sample_counts);
  });
});

test('from the store, padded to one length (prepacked), gzip: the stored, decoded targets come out', async () => {
  const store = openStore(join(dir, 'store.db'));
  const made = Array.from({ length: 5 }, (_, i) => makeTargets(`st-${i}`, VOCAB, 20 + 3 * i, 6, SPEC).targets);
  store.sequences.put(
    'sha256:t',
    VOCAB,
    made.map((targets) => ({ targets, spec: SPEC })),
  );
  const stored = store.sequences.getMany(
    'sha256:t',
    made.map((t) => SequenceOutputs.hash(t)),
    SPEC,
  ) as SequenceTargets[];
  store.close();
  // read back page by page from the store; a hash with nothing stored is counted, not exported
  const out = join(dir, 'padded');
  const skipped = { count: 0 };
  const reopened = openStore(join(dir, 'store.db'));
  const refs = [
    ...made.map((t, i) => ({ id: `p${i}`, hash: SequenceOutputs.hash(t), provenance: `{"i":${i}}` })),
    { id: 'never-labelled', hash: 'ab'.repeat(32) },
  ];
  const res = exportSequencesParquet(storedSequenceRows(reopened, 'sha256:t', SPEC, refs, skipped, 2), {
    outDir: out,
    prefix: 'p',
    spec: SPEC,
    padTo: 40,
    padTokenId: 3,
    compression: 'gzip',
  });
  reopened.close();
  assert.equal(res.rows, 5);
  assert.equal(skipped.count, 1);
  const { rows } = await readAll(join(out, '*.parquet'));
  rows.forEach((r, i) => {
    checkRow(r, stored[i]!, 40);
    assert.equal(r.provenance, `{"i":${i}}`);
    assert.ok((r.input_ids as number[]).slice(stored[i]!.tokenIds.length).every((v) => v === 3));
  });
  // DistillKit's columns only: the same values, nothing its tensor collator cannot stack
  const only = join(dir, 'distillkit');
  exportSequencesParquet(
    stored.map((targets, i) => ({ id: `p${i}`, targets })),
    { outDir: only, prefix: 'p', spec: SPEC, padTo: 40, padTokenId: 3, columns: 'distillkit' },
  );
  const dk = await readAll(join(only, '*.parquet'), '');
  assert.deepEqual(Object.keys(dk.types), ['input_ids', 'attention_mask', 'labels', 'token_ids', 'top_values']);
  const byIds = new Map(rows.map((r) => [JSON.stringify(r.input_ids), r]));
  for (const r of dk.rows) {
    const full = byIds.get(JSON.stringify(r.input_ids))!;
    for (const c of Object.keys(dk.types)) assert.deepEqual(r[c], full[c]);
  }
});

test('refusals: T != 1 for top_values, a sequence longer than padTo (no partial file stays)', () => {
  const { targets } = makeTargets('bad', 500, 30, 4, SPEC);
  const refuse = (e: unknown): boolean => isDistilleryError(e) && e.code === 'INVALID_INPUT';
  assert.throws(
    () =>
      exportSequencesParquet([{ id: 'a', targets }], { outDir: dir, prefix: 'x', spec: { ...SPEC, temperature: 2 } }),
    refuse,
  );
  const out = join(dir, 'short');
  assert.throws(
    () => exportSequencesParquet([{ id: 'a', targets }], { outDir: out, prefix: 'x', spec: SPEC, padTo: 20 }),
    refuse,
  );
  assert.ok(!existsSync(out) || readdirSync(out).length === 0);
});
