import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { DistilleryError } from '../../src/core/errors.ts';
import type { ProgressEvent } from '../../src/jobs/runner/progress.ts';
import { demoRegistry, openStore, rows, run, SST2_DEV } from './helpers/pipeline-fixture.ts';

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

test('shards split deterministically by input hash and together hold the single run\'s rows', async () => {
  const store = openStore(path.join(dir, 'e.db'));
  await run(store, registry, { ...baseJob, dataset: 'single' });
  const shardRows = [];
  let total = 0;
  for (let i = 0; i < 3; i++) {
    const r = await run(store, registry, { ...baseJob, dataset: 'single', shard: `${i}/3` });
    assert.equal(r.dataset, `single.shard-${i}-of-3`);
    assert.ok(r.records > 50 && r.records < 150, `shard ${i} has ${r.records} records`);
    // everything was labelled by the single run already
    assert.equal(r.computed, 0);
    total += r.records;
    shardRows.push(...rows(store, r.dataset));
  }
  assert.equal(total, 300);
  const byId = (a: { id: string }, b: { id: string }) => Number(a.id) - Number(b.id);
  assert.deepEqual(shardRows.sort(byId), rows(store, 'single').sort(byId));
  store.close();
});

test('two teachers in one job: outputs kept per teacher', async () => {
  const store = openStore(path.join(dir, 'f.db'));
  const r = await run(store, registry, { ...baseJob, dataset: 'ens', teachers: ['demo', { name: 'demo-q8', weight: 0.5 }], chunkSize: 150 });
  assert.equal(r.computed, 600);
  const teachers = store.datasetStats('ens').teachers;
  assert.equal(teachers.length, 2);
  assert.notEqual(teachers[0]!.fingerprint, teachers[1]!.fingerprint);
  assert.deepEqual(teachers.map((t) => t.labelled), [300, 300]);
  store.close();
});
