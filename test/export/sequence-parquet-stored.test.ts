/**
 * The export's path from the store: top-k rows decoded straight into the token_ids / top_values page
 * bytes (storedSequenceRows + exportSequencesParquet) must write the very bytes of the path that
 * decodes whole SequenceTargets first and copies them into the pages, for every layout option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SequenceOutputSpec, SequenceTargets } from '../../src/core/sequence-types.ts';
import {
  exportSequencesParquet,
  type SequenceExportRow,
  type SequenceParquetOptions,
} from '../../src/export/sequence-parquet.ts';
import { storedSequenceRows } from '../../src/export/sequence-rows.ts';
import { openStore, SequenceOutputs } from '../../src/store/index.ts';
import { makeTargets } from '../helpers/sequence-targets.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('sequence-parquet-stored-');
const VOCAB = 49_152;
const STORED: SequenceOutputSpec = { temperature: 1, topK: 32, samples: { draws: 50 }, target: true };

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

test('top-k rows decoded into the pages write the same bytes as decoded rows copied in', () => {
  const store = openStore(join(dir, 'store.db'));
  // prompts of 0..7 tokens: unscored rows at the start, so stored rows land among padding rows
  const made = Array.from({ length: 12 }, (_, i) => makeTargets(`row-${i}`, VOCAB, 30 + 11 * i, i % 8, STORED).targets);
  store.sequences.put(
    'sha256:t',
    VOCAB,
    made.map((targets) => ({ targets, spec: STORED })),
  );
  const refs = made.map((t, i) => ({ id: `r${i}`, hash: SequenceOutputs.hash(t), provenance: `{"i":${i}}` }));
  const cases: [string, SequenceOutputSpec, Partial<SequenceParquetOptions>][] = [
    ['top-k only, small row groups', { temperature: 1, topK: 32 }, { rowGroupPositions: 200, compression: 'none' }],
    ['all parts, shards of 5 rows', STORED, { shardRows: 5, compression: 'none' }],
    ['padded, DistillKit columns', STORED, { padTo: 160, padTokenId: 3, columns: 'distillkit', compression: 'none' }],
    ['snappy', STORED, { compression: 'snappy' }],
    ['k=8 served by the stored k=32 (rows cut, tail mass moved)', { temperature: 1, topK: 8, target: true }, {}],
  ];
  for (const [name, spec, opts] of cases) {
    let inPlace = 0;
    const stored = [...storedSequenceRows(store, 'sha256:t', spec, refs)];
    for (const row of stored)
      if (typeof (row.targets.topk as { decodeInto?: unknown }).decodeInto === 'function') inPlace++;
    // a stored k=32 serving k=8 is cut on read, so only that case goes the copying way
    assert.equal(inPlace, spec.topK === 32 ? made.length : 0, name);
    const a = exportSequencesParquet(stored, { ...opts, outDir: join(dir, `${name}-in-place`), prefix: 'x', spec });

    const decoded = store.sequences.getMany(
      'sha256:t',
      refs.map((r) => r.hash),
      spec,
    ) as SequenceTargets[];
    const copied: SequenceExportRow[] = decoded.map((targets, i) => ({
      id: refs[i]!.id,
      targets,
      provenance: refs[i]!.provenance,
    }));
    const b = exportSequencesParquet(copied, { ...opts, outDir: join(dir, `${name}-copied`), prefix: 'x', spec });

    assert.ok(a.files.length >= 1);
    assert.deepEqual(
      a.files.map((f) => [f.path, f.rows, f.bytes, f.sha256]),
      b.files.map((f) => [f.path, f.rows, f.bytes, f.sha256]),
      name,
    );
    a.files.forEach((f, i) =>
      assert.equal(sha(join(dir, `${name}-in-place`, f.path)), sha(join(dir, `${name}-copied`, b.files[i]!.path))),
    );
  }
  store.close();
});
