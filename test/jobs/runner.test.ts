import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { DistilleryError } from '../../src/core/errors.ts';
import type { ProgressEvent } from '../../src/jobs/runner/progress.ts';
import { demoRegistry, openStore, rows, run, SST2_DEV } from './helpers/pipeline-fixture.ts';
import { mergeShards } from '../../src/jobs/runner/merge-shards.ts';
import { buildDatasetReport } from '../../src/report/dataset-report.ts';
import { startJob } from '../../src/jobs/runner/job-handle.ts';
import { resolveJob } from '../../src/jobs/resolve-job.ts';
import { parseJob } from '../../src/jobs/job-schema.ts';
import { exportDataset } from '../../src/export/index.ts';
import { exportEnsemble } from '../../src/export/index.ts';
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
const baseJob = {
  corpus: { path: corpus },
  teachers: ['demo'],
  outputs: { temperatures: [1, 2], topK: 2 },
  chunkSize: 64,
};

test('label-only job: all records stored with outputs; a rerun recomputes nothing and says so', async () => {
  const store = openStore(path.join(dir, 'a.db'));
  const events: ProgressEvent[] = [];
  const r1 = await run(store, registry, { ...baseJob, dataset: 'dev300' }, { onProgress: (e) => events.push(e) });
  assert.equal(r1.status, 'done');
  assert.deepEqual([r1.records, r1.examples, r1.chunks, r1.computed, r1.cached], [300, 300, 5, 300, 0]);
  assert.deepEqual(
    events.map((e) => e.type),
    ['start', 'chunk', 'chunk', 'chunk', 'chunk', 'chunk', 'done'],
  );
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
  const part = await run(
    store,
    registry,
    { ...baseJob, dataset: 'parts' },
    {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'chunk' && e.chunks === 2) controller.abort();
      },
    },
  );
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

test('per-op duplicate counts: stored with each chunk, the same after a resumed run, shown by the report', async () => {
  // "a b" swapped once is "b a" for every variant, twice is "a b" again: of 6 variants per two-word text,
  // 1 is kept and 5 are dropped as duplicates (a three-word text keeps more, so we use two-word ones only)
  const short = path.join(dir, 'short.jsonl');
  const words = [
    'good film',
    'bad movie',
    'fine plot',
    'dull story',
    'great cast',
    'weak ending',
    'nice score',
    'poor pacing',
    'sharp script',
    'flat jokes',
  ];
  writeFileSync(short, words.map((text, i) => JSON.stringify({ id: `s${i}`, text, label: i % 2 })).join('\n') + '\n');
  const job = {
    ...baseJob,
    corpus: { path: short },
    chunkSize: 4,
    recipe: { name: 'swaps', flow: { op: 'swap', params: { alpha: 0.5 } }, variants: 6 },
  } as const;
  const store = openStore(path.join(dir, 'ops.db'));
  const whole = await run(store, registry, { ...job, dataset: 'ops-whole' });
  assert.equal(whole.status, 'done');
  assert.deepEqual(store.opStats('ops-whole'), [{ op: 'swap', produced: 60, duplicates: 50 }]);
  assert.equal(store.datasetStats('ops-whole').augmentations, 10);

  const controller = new AbortController();
  const part = await run(
    store,
    registry,
    { ...job, dataset: 'ops-parts' },
    {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'chunk' && e.chunks === 1) controller.abort();
      },
    },
  );
  assert.deepEqual([part.status, part.chunks], ['cancelled', 1]);
  assert.deepEqual(
    store.opStats('ops-parts'),
    [{ op: 'swap', produced: 24, duplicates: 20 }],
    'only the committed chunk is counted',
  );
  const rest = await run(store, registry, { ...job, dataset: 'ops-parts' });
  assert.deepEqual([rest.status, rest.resumed], ['done', 4]);
  assert.deepEqual(store.opStats('ops-parts'), store.opStats('ops-whole'));
  assert.equal((await run(store, registry, { ...job, dataset: 'ops-parts' })).status, 'up-to-date');
  assert.deepEqual(store.opStats('ops-parts'), store.opStats('ops-whole'), 'an up-to-date rerun adds nothing');

  const report = buildDatasetReport(store, 'ops-parts');
  assert.deepEqual(
    report.ops.map((o) => [o.op, o.count, o.duplicateShare]),
    [['swap', 10, 50 / 60]],
  );
  store.close();
});

test('a different job for an existing dataset is refused', async () => {
  const store = openStore(path.join(dir, 'c.db'));
  await run(store, registry, { ...baseJob, dataset: 'x', chunkSize: 300 });
  await assert.rejects(
    run(store, registry, { ...baseJob, dataset: 'x', chunkSize: 300, seed: 2 }),
    /was made by a different job/,
  );
  // a corpus file that changed size since the dataset was made is a different corpus
  const grown = path.join(dir, 'grown.jsonl');
  writeFileSync(grown, '{"text":"first","label":1}\n');
  await run(store, registry, { ...baseJob, dataset: 'grown', corpus: { path: grown } });
  appendFileSync(grown, '{"text":"second","label":0}\n');
  await assert.rejects(
    run(store, registry, { ...baseJob, dataset: 'grown', corpus: { path: grown } }),
    /was made by a different job/,
  );
  store.close();
});

test('malformed line: nothing is written by default; --skip-invalid skips and counts', async () => {
  const bad = path.join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"text":"a fine film","label":1}\n{"text":"broken\n{"text":"a dull film","label":0}\n');
  const store = openStore(path.join(dir, 'd.db'));
  await assert.rejects(
    run(store, registry, { ...baseJob, corpus: { path: bad }, dataset: 'bad' }),
    (e: unknown) => e instanceof DistilleryError && /bad\.jsonl:2:/.test(e.message),
  );
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
  // the merged dataset's per-op counts are the shards' sums, equal to the single run's
  assert.ok(single.opStats('sh').length > 0);
  assert.deepEqual(sharded.opStats('sh'), single.opStats('sh'));
  single.close();
  sharded.close();
});

test('two teachers in one job: outputs kept per teacher', async () => {
  const store = openStore(path.join(dir, 'f.db'));
  const r = await run(store, registry, {
    ...baseJob,
    dataset: 'ens',
    teachers: ['demo', { name: 'demo-q8', weight: 0.5 }],
    chunkSize: 150,
  });
  assert.equal(r.computed, 600);
  const teachers = store.datasetStats('ens').teachers;
  assert.equal(teachers.length, 2);
  assert.notEqual(teachers[0]!.fingerprint, teachers[1]!.fingerprint);
  assert.deepEqual(
    teachers.map((t) => t.labelled),
    [300, 300],
  );

  // the averaged export: (1 * p_demo + 0.5 * p_q8) / 1.5 at each temperature, rows in dataset order
  const linked = store.datasetTeachers('ens');
  const byName = (n: string) => linked.find((t) => t.info?.name === n)!.fingerprint;
  const members = [
    { fingerprint: byName('demo'), weight: 1 },
    { fingerprint: byName('demo-q8'), weight: 0.5 },
  ];
  const ens = exportEnsemble(store, 'ens', members, [1, 2], path.join(dir, 'ens'));
  assert.equal(ens.rows, 300);
  const table = (await parquetReadObjects({ file: await asyncBufferFromFile(ens.file) })) as {
    ordinal: bigint;
    id: string;
    probs_t2: number[];
  }[];
  const ex = [...store.iterateExamples('ens')];
  assert.deepEqual(
    table.map((r) => r.id),
    ex.map((e) => e.id),
  );
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
  const marked = rows(store, 'flag').filter(
    (r) => r.origin.kind === 'augmentation' && 'teacherFilter' in r.origin.params,
  );
  assert.equal(marked.length, flagged.flagged);
  // nothing flagged survives in the dropped dataset
  const droppedIds = new Set(rows(store, 'drop').map((r) => r.id));
  assert.ok(marked.every((r) => !droppedIds.has(r.id)));
  store.close();
});

test('model-backed recipes get their models from augmentModels (masked-LM with the tiny MLM fixture)', async () => {
  const store = openStore(path.join(dir, 'h.db'));
  const job = {
    ...baseJob,
    dataset: 'mlm',
    recipe: { name: 'mlm', flow: { op: 'masked-lm' }, variants: 1 },
    chunkSize: 300,
  } as const;
  await assert.rejects(run(store, registry, job), /recipe mlm needs a masked-LM model/);
  const r = await run(store, registry, { ...job, augmentModels: { fillMask: 'tiny-bert-mlm' } });
  assert.equal(r.status, 'done');
  const aug = rows(store, 'mlm').filter((e) => e.origin.kind === 'augmentation');
  assert.ok(aug.length > 0);
  assert.ok(aug.every((e) => e.origin.kind === 'augmentation' && e.origin.ops.includes('masked-lm')));
  store.close();
});

test('a repeated id in the id column stops the job before anything is written', async () => {
  const file = path.join(dir, 'ids.jsonl');
  writeFileSync(file, '{"k":"a","text":"one"}\n{"k":"b","text":"two"}\n{"k":"a","text":"three"}\n');
  const store = openStore(path.join(dir, 'i.db'));
  await assert.rejects(
    run(store, registry, { ...baseJob, dataset: 'ids', corpus: { path: file, idColumn: 'k' } }),
    /ids\.jsonl:3: id "a" repeats the id of line 1/,
  );
  assert.equal(store.getDataset('ids'), undefined);
  store.close();
});

test('job handle for the HTTP service: progress events, status, cancel', async () => {
  const store = openStore(path.join(dir, 'j.db'));
  const opts = await resolveJob(parseJob({ ...baseJob, dataset: 'handle', chunkSize: 50 }), {
    store,
    teachers: registry,
  });
  const handle = startJob(opts);
  assert.equal(handle.status().state, 'running');
  const seen: string[] = [];
  handle.onProgress((e) => {
    seen.push(e.type);
    if (e.type === 'chunk' && e.chunks === 2) handle.cancel();
  });
  const result = await handle.done;
  assert.equal(result.status, 'cancelled');
  const status = handle.status();
  assert.equal(status.state, 'cancelled');
  assert.equal(status.progress?.type, 'cancelled');
  assert.equal(status.result?.chunks, 2);
  assert.deepEqual(seen, ['start', 'chunk', 'chunk', 'cancelled']);

  // a failing job reports its error in status and rejects `done`
  const bad = startJob(
    await resolveJob(
      parseJob({ ...baseJob, dataset: 'handle-bad', corpus: { path: path.join(dir, 'missing.jsonl') } }),
      { store, teachers: registry },
    ),
  );
  await assert.rejects(bad.done, /corpus file not found/);
  assert.deepEqual([bad.status().state, bad.status().error?.code], ['failed', 'NOT_FOUND']);
  store.close();
});

test('a resumed run reports the same skipped and duplicate counts as an uninterrupted one', async () => {
  const job = { ...baseJob, recipe: { builtin: 'eda', variants: 2 } } as const;
  const store = openStore(path.join(dir, 'counts.db'));
  const whole = await run(store, registry, { ...job, dataset: 'counts-whole' });
  assert.equal(whole.status, 'done');
  assert.ok(whole.augmentSkipped > 0, 'the eda recipe skips some attempts on SST-2 dev');
  const controller = new AbortController();
  const part = await run(
    store,
    registry,
    { ...job, dataset: 'counts-parts' },
    {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'chunk' && e.chunks === 2) controller.abort();
      },
    },
  );
  assert.deepEqual([part.status, part.chunks], ['cancelled', 2]);
  assert.ok(part.augmentSkipped > 0 && part.augmentSkipped < whole.augmentSkipped);
  const rest = await run(store, registry, { ...job, dataset: 'counts-parts' });
  assert.deepEqual(
    [rest.status, rest.augmentSkipped, rest.duplicatesDropped, rest.examples],
    ['done', whole.augmentSkipped, whole.duplicatesDropped, whole.examples],
  );
  store.close();
});
