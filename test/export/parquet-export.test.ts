import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { DuckDBInstance } from '@duckdb/node-api';
import { exportDataset, exportDatasetYielding, exportStream } from '../../src/export/index.ts';
import { decodeFloat16, encodeFloat16, softmaxAt } from '../../src/store/index.ts';
import {
  FULL_SPEC,
  HIDDEN,
  TEACHER,
  fixtureExamples,
  fixtureOutput,
  labelledStore,
} from '../helpers/labelled-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { eventLoopTurns } from '../helpers/event-loop-turns.ts';

const dir = tempDir('parquet-export-');
const N = 53;
const store = labelledStore(dir, 'pq', N, { unlabelledEvery: 10 });
const examples = fixtureExamples(N).filter((_, i) => i % 10 !== 9);
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

test('parquet: shards, row groups, manifest, and every value read back by hyparquet', async () => {
  const out = join(dir, 'a');
  const { manifest, manifestPath } = exportDataset(store, 'pq', {
    format: 'parquet',
    outDir: out,
    shardRows: 20,
    rowGroupRows: 7,
    command: 'test',
  });
  assert.equal(manifest.rows, examples.length);
  assert.equal(manifest.skippedUnlabelled, N - examples.length);
  assert.deepEqual(
    manifest.files.map((f) => [f.path, f.rows]),
    [
      ['pq-00000.parquet', 20],
      ['pq-00001.parquet', 20],
      ['pq-00002.parquet', 8],
    ],
  );
  assert.deepEqual(manifest.teachers, [TEACHER.fingerprint]);
  assert.equal(manifest.command, 'test');
  assert.deepEqual(JSON.parse(readFileSync(manifestPath, 'utf8')), manifest);
  for (const f of manifest.files) assert.equal(sha(join(out, f.path)), f.sha256);

  const rows: Record<string, unknown>[] = [];
  for (const f of manifest.files) {
    const file = await asyncBufferFromFile(join(out, f.path));
    const meta = await parquetMetadataAsync(file);
    assert.equal(Number(meta.num_rows), f.rows);
    assert.equal(meta.row_groups.length, Math.ceil(f.rows / 7));
    assert.equal(
      meta.key_value_metadata?.find((kv) => kv.key === 'distillery.teacher_fingerprint')?.value,
      TEACHER.fingerprint,
    );
    rows.push(...(await parquetReadObjects({ file })));
  }
  assert.equal(rows.length, examples.length);
  rows.forEach((r, i) => {
    const e = examples[i]!;
    const o = fixtureOutput(e.text);
    assert.equal(r.id, e.id);
    assert.equal(r.text, e.text);
    assert.equal(r.text_pair, e.textPair ?? null);
    assert.equal(r.label, BigInt(e.label as number));
    assert.equal(r.origin_kind, e.origin.kind);
    assert.equal(r.teacher, TEACHER.fingerprint);
    assert.equal(r.tokens, o.tokens);
    assert.equal(r.truncated, false);
    if (e.origin.kind === 'augmentation') {
      assert.equal(r.parent_id, e.origin.parentId);
      assert.deepEqual(r.ops, e.origin.ops);
      assert.equal(r.seed, e.origin.seed);
      assert.deepEqual(JSON.parse(r.params as string), e.origin.params);
    } else {
      assert.equal(r.parent_id, null);
      assert.deepEqual(r.ops, []);
    }
    // stored as fp16: logits are the fp16-rounded teacher logits
    const logits16 = decodeFloat16(encodeFloat16(o.logits!));
    assert.deepEqual(r.logits, [...logits16]);
    assert.deepEqual(r.probs_t2, [...softmaxAt(logits16, 2)]);
    assert.deepEqual(r.topk_ids, [...o.topK![0]!.ids].map(BigInt));
    assert.equal((r.hidden_2_cls as number[]).length, HIDDEN);
    assert.deepEqual(r.hidden_2_cls, [...decodeFloat16(encodeFloat16(o.hidden![0]!.value.data))]);
  });
});

test('parquet: DuckDB reads the files with trainer-friendly column types', async () => {
  const out = join(dir, 'duck');
  exportDataset(store, 'pq', { format: 'parquet', outDir: out, shardRows: 25 });
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const glob = join(out, '*.parquet');
  const types = Object.fromEntries(
    (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${glob}')`)).getRows().map((r) => [r[0], r[1]]),
  );
  assert.equal(types.label, 'BIGINT');
  assert.equal(types.logits, 'FLOAT[]');
  assert.equal(types.probs_t1, 'FLOAT[]');
  assert.equal(types.topk_ids, 'BIGINT[]');
  assert.equal(types.ops, 'VARCHAR[]');
  assert.equal(types.truncated, 'BOOLEAN');
  assert.match(String(types.hidden_2_cls), /^(FLOAT|HALF|FLOAT16)\[\]$/);
  const agg = (
    await conn.runAndReadAll(
      `SELECT count(*), sum(len(hidden_2_cls)), max(abs(list_sum(probs_t1) - 1)), count(*) FILTER (WHERE origin_kind = 'augmentation') FROM read_parquet('${glob}')`,
    )
  ).getRows()[0]!;
  assert.equal(Number(agg[0]), examples.length);
  assert.equal(Number(agg[1]), examples.length * HIDDEN);
  assert.ok(Number(agg[2]) < 1e-6);
  assert.equal(Number(agg[3]), examples.filter((e) => e.origin.kind === 'augmentation').length);
  const first = (
    await conn.runAndReadAll(`SELECT id, logits[1], text FROM read_parquet('${glob}') ORDER BY ordinal LIMIT 1`)
  ).getRows()[0]!;
  assert.equal(first[0], examples[0]!.id);
  assert.equal(first[2], examples[0]!.text);
  // gzip everywhere (hidden lists too) is also read
  const gz = join(dir, 'duck-gzip');
  exportDataset(store, 'pq', { format: 'parquet', outDir: gz, compression: 'gzip', compressFloatLists: true });
  const n = (
    await conn.runAndReadAll(
      `SELECT count(*), sum(list_sum(hidden_2_cls)) FROM read_parquet('${join(gz, '*.parquet')}')`,
    )
  ).getRows()[0]!;
  assert.equal(Number(n[0]), examples.length);
  const ref = (
    await conn.runAndReadAll(`SELECT sum(list_sum(hidden_2_cls)) FROM read_parquet('${glob}')`)
  ).getRows()[0]!;
  assert.equal(Number(n[1]), Number(ref[0]));
  conn.closeSync();
});

test('parquet: the same dataset exports to the same bytes; shard count does not change rows', () => {
  const a = exportDataset(store, 'pq', { format: 'parquet', outDir: join(dir, 'd1'), shardRows: 20, command: 'x' });
  const b = exportDataset(store, 'pq', { format: 'parquet', outDir: join(dir, 'd2'), shardRows: 20, command: 'x' });
  assert.deepEqual(a.manifest.files, b.manifest.files);
  assert.equal(readFileSync(a.manifestPath, 'utf8'), readFileSync(b.manifestPath, 'utf8'));
  const c = exportDataset(store, 'pq', { format: 'parquet', outDir: join(dir, 'd3'), shardRows: 1000 });
  assert.equal(c.manifest.files.length, 1);
  assert.equal(c.manifest.rows, a.manifest.rows);
});

test('parquet: export stream is one readable file; bad format and unknown dataset are clear errors', async () => {
  const { stream, filename, contentType } = await exportStream(store, 'pq', { format: 'parquet' });
  assert.equal(filename, 'pq.parquet');
  assert.equal(contentType, 'application/vnd.apache.parquet');
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const buf = Buffer.concat(chunks);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const rows = await parquetReadObjects({ file: ab });
  assert.equal(rows.length, examples.length);
  await assert.rejects(exportStream(store, 'pq', { format: 'csv' }), /unknown export format 'csv'/);
  assert.throws(() => exportDataset(store, 'nope', { format: 'parquet', outDir: join(dir, 'x') }), /no dataset 'nope'/);
  assert.throws(
    () => exportDataset(store, 'pq', { format: 'parquet', outDir: join(dir, 'x'), temperatures: [0] }),
    /temperature 0/,
  );
  assert.equal(FULL_SPEC.encoding, 'fp16');
});

test('parquet: re-exporting into the same directory removes shards of the earlier export', () => {
  const out = join(dir, 'reuse');
  exportDataset(store, 'pq', { format: 'parquet', outDir: out, shardRows: 10 });
  const { manifest } = exportDataset(store, 'pq', { format: 'parquet', outDir: out, shardRows: 100 });
  const left = readdirSync(out).filter((f) => f.endsWith('.parquet'));
  assert.deepEqual(
    left,
    manifest.files.map((f) => f.path),
  );
});

test('parquet: the yielding export lets the event loop run between pages and writes the same bytes', async () => {
  const big = labelledStore(join(dir, 'big'), 'big', 3000);
  const { result: yielding, turns } = await eventLoopTurns(() =>
    exportDatasetYielding(big, 'big', { format: 'parquet', outDir: join(dir, 'yield-a') }),
  );
  // 3000 rows in steps of 512: the loop ran between steps (a blocking export gives 0 or 1 turns)
  assert.ok(turns >= 5, `event loop turns during the export: ${turns}`);
  const blocking = exportDataset(big, 'big', { format: 'parquet', outDir: join(dir, 'yield-b') });
  assert.equal(yielding.manifest.rows, 3000);
  assert.deepEqual(
    yielding.manifest.files.map((f) => f.sha256),
    blocking.manifest.files.map((f) => f.sha256),
  );
  big.close();
});

test('prefetched pages (read on a worker thread) equal pages read inline, fp16 bits and unlabelled rows included', () => {
  const many = labelledStore(join(dir, 'many'), 'many', 1300, { unlabelledEvery: 7 });
  const opts = { float16Hidden: true, pageRows: 128 };
  const inline = [...many.iterateLabelled('many', TEACHER.fingerprint, FULL_SPEC, opts)];
  const prefetched = [...many.iterateLabelled('many', TEACHER.fingerprint, FULL_SPEC, { ...opts, prefetch: true })];
  assert.equal(inline.length, 1300);
  assert.ok(inline.some((r) => r.output === undefined) && inline.some((r) => r.float16Hidden));
  assert.deepEqual(prefetched, inline);
  many.close();
});
