import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { DistilleryError } from '../../src/core/errors.ts';
import type { ProgressEvent } from '../../src/jobs/runner/progress.ts';
import { demoRegistry, openStore, rows, run, SST2_DEV } from './helpers/pipeline-fixture.ts';
import { mergeShards } from '../../src/jobs/runner/merge-shards.ts';
import { exportDataset } from '../../src/export/index.ts';
import { exportEnsemble } from '../../src/jobs/ensemble-export.ts';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';

const dir = tempDir('distillery-runner-');
const registry = demoRegistry();
test.after(() => registry.close());

// the first 300 SST-2 dev sentences keep this file fast on 2 cores
const corpus = path.join(dir, 'dev300.jsonl');
{
  const { readFileSync } = await import('node:fs');
  writeFileSync(corpus, readFileSync(SST2_DEV, 'utf8').split('\n').slice(0, 300).join('\n') + '\n');
}
const baseJob = { corpus: { path: corpus }, teachers: ['demo'], outputs: { temperatures: [1, 2], topK: 2 }, chunkSize: 64 };

test('label-only job: all records stored with outputs; a rerun recomputes nothing and says so', async () => {
  const store = openStore(path.join(dir, 'a.db'));
  const events: ProgressEvent[] = [];
  const r1 = await run(store, registry, { ...baseJob, dataset: 'dev300' }, { onProgress: (e) => events.push(e) });
  assert.equal(r1.status, 'done');
  assert.deepEqual([r1.records, r1.examples, r1.chunks, r1.computed, r1.cached], [300, 300, 5, 300, 0]);
  assert.deepEqual(events.map((e) => e.type), ['start', 'chunk', 'chunk', 'chunk', 'chunk', 'chunk', 'done']);
  assert.equal(events[1]!.totalRecords, 300);
  assert.ok(events[5]!.etaSeconds === 0 && events[3]!.rate > 0);
  const stats = store.datasetStats('dev300');
  assert.equal(stats.examples, 300);
  assert.equal(stats.teachers[0]!.labelled, 300);

  const r2 = await run(store, registry, { ...baseJob, dataset: 'dev300' });
  assert.equal(r2.status, 'up-to-date');
  assert.equal(r2.computed, 0);
  assert.equal(store.datasetStats('dev300').examples, 300);

  // another dataset over the same inputs is served from the content-addressed cache
  const r3 = await run(store, registry, { ...baseJob, dataset: 'dev300-again' });
  assert.deepEqual([r3.computed, r3.cached], [0, 300]);
  store.close();
});

test('cancel via AbortSignal stops after a committed chunk; rerun continues to the same rows as an uninterrupted run', async () => {
  const store = openStore(path.join(dir, 'b.db'));
  const whole = await run(store, registry, { ...baseJob, dataset: 'whole' });
  const controller = new AbortController();
  const part = await run(store, registry, { ...baseJob, dataset: 'parts' }, {
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type === 'chunk' && e.chunks === 2) controller.abort();
    },
  });
  assert.equal(part.status, 'cancelled');
  assert.equal(part.chunks, 2);
  assert.equal(store.datasetStats('parts').examples, 128);
  const rest = await run(store, registry, { ...baseJob, dataset: 'parts' });
  assert.equal(rest.status, 'done');
  assert.equal(rest.resumed, 128);
  assert.deepEqual(rows(store, 'parts'), rows(store, 'whole'));
  assert.equal(whole.examples, rest.examples);
  store.close();
});

test('a different job for an existing dataset is refused', async () => {
  const store = openStore(path.join(dir, 'c.db'));
  await run(store, registry, { ...baseJob, dataset: 'x', chunkSize: 300 });
  await assert.rejects(run(store, registry, { ...baseJob, dataset: 'x', chunkSize: 300, seed: 2 }), /was made by a different job/);
  store.close();
});

test('malformed line: nothing is written by default; --skip-invalid skips and counts', async () => {
  const bad = path.join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"text":"a fine film","label":1}\n{"text":"broken\n{"text":"a dull film","label":0}\n');
  const store = openStore(path.join(dir, 'd.db'));
  await assert.rejects(run(store, registry, { ...baseJob, corpus: { path: bad }, dataset: 'bad' }), (e: unknown) => e instanceof DistilleryError && /bad\.jsonl:2:/.test(e.message));
  assert.equal(store.getDataset('bad'), undefined);
  const r = await run(store, registry, { ...baseJob, corpus: { path: bad, skipInvalid: true }, dataset: 'bad' });
  assert.deepEqual([r.records, r.invalid, r.examples], [2, 1, 2]);
  store.close();
});

test('shards split by input hash; merged they export the same bytes as a single run', async () => {
  const single = openStore(path.join(dir, 'e1.db'));
  const sharded = openStore(path.join(dir, 'e2.db'));
  const job = { ...baseJob, dataset: 'sh', recipe: { builtin: 'eda', variants: 2 } } as const;
  await run(single, registry, job);
  let total = 0;
  for (let i = 0; i < 3; i++) {
    const r = await run(sharded, registry, { ...job, shard: `${i}/3` });
    assert.equal(r.dataset, `sh.shard-${i}-of-3`);
    assert.ok(r.records > 50 && r.records < 150, `shard ${i} has ${r.records} records`);
    total += r.records;
  }
  assert.equal(total, 300);
  const merged = await mergeShards(sharded, 'sh', 3);
  assert.deepEqual([merged.status, merged.records], ['done', 300]);
  assert.deepEqual(rows(sharded, 'sh'), rows(single, 'sh'));
  const a = exportDataset(single, 'sh', { format: 'parquet', outDir: path.join(dir, 'ex1') });
  const b = exportDataset(sharded, 'sh', { format: 'parquet', outDir: path.join(dir, 'ex2') });
  assert.equal(a.manifest.files[0]!.sha256, b.manifest.files[0]!.sha256);
  // the merged dataset is what the unsharded job makes: running it again recomputes nothing
  assert.equal((await run(sharded, registry, job)).status, 'up-to-date');
  assert.equal((await mergeShards(sharded, 'sh', 3)).status, 'up-to-date');
  single.close();
  sharded.close();
});

test('two teachers in one job: outputs kept per teacher', async () => {
  const store = openStore(path.join(dir, 'f.db'));
  const r = await run(store, registry, { ...baseJob, dataset: 'ens', teachers: ['demo', { name: 'demo-q8', weight: 0.5 }], chunkSize: 150 });
  assert.equal(r.computed, 600);
  const teachers = store.datasetStats('ens').teachers;
  assert.equal(teachers.length, 2);
  assert.notEqual(teachers[0]!.fingerprint, teachers[1]!.fingerprint);
  assert.deepEqual(teachers.map((t) => t.labelled), [300, 300]);

  // the averaged export: (1 * p_demo + 0.5 * p_q8) / 1.5 at each temperature, rows in dataset order
  const linked = store.datasetTeachers('ens');
  const byName = (n: string) => linked.find((t) => t.info?.name === n)!.fingerprint;
  const members = [{ fingerprint: byName('demo'), weight: 1 }, { fingerprint: byName('demo-q8'), weight: 0.5 }];
  const ens = exportEnsemble(store, 'ens', members, [1, 2], path.join(dir, 'ens'));
  assert.equal(ens.rows, 300);
  const table = (await parquetReadObjects({ file: await asyncBufferFromFile(ens.file) })) as { ordinal: bigint; id: string; probs_t2: number[] }[];
  const ex = [...store.iterateExamples('ens')];
  assert.deepEqual(table.map((r) => r.id), ex.map((e) => e.id));
  const spec = { logits: true, temperatures: [1, 2], encoding: 'fp32' as const };
  for (const i of [0, 137, 299]) {
    const h = ex[i]!.inputHash;
    const a = store.getOutputs(members[0]!.fingerprint, [h], spec).get(h)!.probs![1]!;
    const b = store.getOutputs(members[1]!.fingerprint, [h], spec).get(h)!.probs![1]!;
    for (let k = 0; k < 2; k++) assert.ok(Math.abs(table[i]!.probs_t2[k]! - (a[k]! + 0.5 * b[k]!) / 1.5) < 1e-6);
  }
  store.close();
});

test('teacher filters after labelling: drop or flag augmentations whose predicted class flips', async () => {
  const store = openStore(path.join(dir, 'g.db'));
  const job = { ...baseJob, recipe: { builtin: 'eda', variants: 2 }, chunkSize: 300 } as const;
  const kept = await run(store, registry, { ...job, dataset: 'keep' });
  const dropped = await run(store, registry, { ...job, dataset: 'drop', filters: { disagreement: 'drop' } });
  const flagged = await run(store, registry, { ...job, dataset: 'flag', filters: { disagreement: 'flag' } });
  assert.ok(dropped.filteredOut > 0, 'some eda outputs flip the demo teacher');
  assert.equal(dropped.examples, kept.examples - dropped.filteredOut);
  assert.equal(flagged.flagged, dropped.filteredOut);
  assert.equal(flagged.examples, kept.examples);
  const marked = rows(store, 'flag').filter((r) => r.origin.kind === 'augmentation' && 'teacherFilter' in r.origin.params);
  assert.equal(marked.length, flagged.flagged);
  // nothing flagged survives in the dropped dataset
  const droppedIds = new Set(rows(store, 'drop').map((r) => r.id));
  assert.ok(marked.every((r) => !droppedIds.has(r.id)));
  store.close();
});
