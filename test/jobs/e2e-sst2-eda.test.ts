/**
 * End to end through the real CLI: SST-2 dev (872 sentences) x the eda recipe x the demo teacher into
 * Parquet, twice with the same seed into separate stores; the exports must be byte-identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { tempDir } from '../helpers/temp-dir.ts';
import { runCli } from './helpers/cli.ts';
import { openStore, SST2_DEV } from './helpers/pipeline-fixture.ts';

const dir = tempDir('distillery-e2e-');

function writeJob(name: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `dataset: sst2-dev-eda
corpus: { path: ${JSON.stringify(SST2_DEV)} }
recipe: { builtin: eda, variants: 4 }
seed: 7
teachers: [demo]
outputs: { temperatures: [1, 2, 4], topK: 2 }
chunkSize: 500
export: [{ format: parquet, out: out-${name} }]
`,
  );
  return file;
}

type Row = Record<string, unknown>;

async function readParquet(file: string): Promise<Row[]> {
  return (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Row[];
}

test('SST-2 dev x eda x demo teacher -> Parquet: counts, provenance, deterministic bytes, rerun is a no-op', async () => {
  const first = await runCli(['run', writeJob('a'), '--db', path.join(dir, 'a.db'), '--progress', 'json']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /dataset sst2-dev-eda done: \d+ examples from 872 records/);
  // progress is JSON lines when stderr is not a terminal
  const events = first.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; totalRecords: number });
  assert.deepEqual([events[0]!.type, events.at(-1)!.type, events.at(-1)!.totalRecords], ['start', 'done', 872]);

  const second = await runCli(['run', writeJob('b'), '--db', path.join(dir, 'b.db'), '--progress', 'none']);
  assert.equal(second.code, 0, second.stderr);

  const manifest = JSON.parse(readFileSync(path.join(dir, 'out-a/sst2-dev-eda.parquet.manifest.json'), 'utf8')) as {
    rows: number;
    files: { path: string; sha256: string }[];
  };
  const manifestB = JSON.parse(
    readFileSync(path.join(dir, 'out-b/sst2-dev-eda.parquet.manifest.json'), 'utf8'),
  ) as typeof manifest;
  assert.equal(manifest.files.length, 1);
  const bytesA = readFileSync(path.join(dir, 'out-a', manifest.files[0]!.path));
  const bytesB = readFileSync(path.join(dir, 'out-b', manifestB.files[0]!.path));
  assert.ok(bytesA.equals(bytesB), 'two runs with the same seed must export identical bytes');

  const store = openStore(path.join(dir, 'a.db'));
  const stats = store.datasetStats('sst2-dev-eda');
  const fingerprint = store.datasetTeachers('sst2-dev-eda')[0]!.fingerprint;
  store.close();

  const rows = await readParquet(path.join(dir, 'out-a', manifest.files[0]!.path));
  assert.equal(rows.length, manifest.rows);
  assert.equal(rows.length, stats.examples);
  const originals = rows.filter((r) => r.origin_kind === 'original');
  const augmented = rows.filter((r) => r.origin_kind === 'augmentation');
  assert.equal(originals.length, 872);
  // 4 attempts per sentence; some cannot apply or duplicate and are dropped, never copied
  assert.ok(augmented.length > 872 * 2 && augmented.length <= 872 * 4, `${augmented.length} augmentations`);
  assert.equal(stats.augmentations, augmented.length);

  const originalIds = new Set(originals.map((r) => r.id));
  const textOf = new Map(originals.map((r) => [r.id, r.text]));
  let lastParent: unknown;
  for (const r of rows) {
    assert.equal(r.teacher, fingerprint);
    const p1 = r.probs_t1 as number[];
    assert.ok(Math.abs(p1[0]! + p1[1]! - 1) < 1e-5);
    if (r.origin_kind === 'original') {
      lastParent = r.id;
      continue;
    }
    // provenance: the parent exists and comes right before its augmentations; ops and seed recorded
    assert.ok(originalIds.has(r.parent_id), `parent ${String(r.parent_id)}`);
    assert.equal(r.parent_id, lastParent);
    assert.notEqual(r.text, textOf.get(r.parent_id));
    assert.ok(Array.isArray(r.ops) && (r.ops as string[]).length >= 1);
    assert.equal(r.seed, '7');
  }
  // gold labels carried to label-preserving augmentations
  assert.ok(augmented.every((r) => r.label === 0n || r.label === 1n || r.label === 0 || r.label === 1));

  const again = await runCli(['run', writeJob('a'), '--db', path.join(dir, 'a.db'), '--no-export']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /is up to date: \d+ examples from 872 records; nothing recomputed/);
});
