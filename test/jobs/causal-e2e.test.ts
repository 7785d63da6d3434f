/**
 * End to end on the tiny Llama fixture: {prompt, response} rows -> text-generation teacher -> the
 * store (cache first, so a rerun computes nothing) -> DistillKit-schema Parquet, read back with
 * hyparquet and checked against a fresh teacher run.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import type { SequenceOutputSpec, SequenceTargets } from '../../src/core/sequence-types.ts';
import { exportSequencesParquet, TOP_VALUE_PAD } from '../../src/export/sequence-parquet.ts';
import { storedSequenceRows } from '../../src/export/sequence-rows.ts';
import { labelSequences, type SequenceRow } from '../../src/jobs/sequence-labeler.ts';
import { openStore } from '../../src/store/index.ts';
import { CausalTeacher } from '../../src/teacher/causal/causal-teacher.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MODELS = path.resolve(import.meta.dirname, '../../models');
const SPEC: SequenceOutputSpec = { temperature: 1, topK: 16, samples: { draws: 24 }, target: true };

const ROWS: SequenceRow[] = [
  { id: 'a', input: { prompt: 'what is the water like', response: ' it is cold and clear' } },
  { id: 'b', input: { prompt: 'name a color', response: ' blue' } },
  { id: 'bad', input: { prompt: '', response: ' nothing' } },
  { id: 'c', input: { prompt: 'count', response: ' one two three four five' } },
  { id: 'a-again', input: { prompt: 'what is the water like', response: ' it is cold and clear' } },
];

test('prompt/response rows are labelled into the store once and exported in DistillKit schema', async () => {
  const dir = tempDir('causal-e2e-');
  const store = openStore(path.join(dir, 'store.db'));
  const teacher = await CausalTeacher.load({
    name: 'lm',
    dir: path.join(MODELS, 'tiny-llama-lm'),
    graphCacheDir: path.join(dir, 'graphs'),
  });
  try {
    const first = await labelSequences(teacher, store, ROWS, SPEC, { chunkRows: 2 });
    assert.equal(first.rows, 5);
    assert.deepEqual(
      first.errors.map((e) => [e.id, e.field]),
      [['bad', 'prompt']],
    );
    assert.equal(first.computed, 3, 'a-again is the same sequence as a');
    assert.ok(first.bytes > 0);
    const again = await labelSequences(teacher, store, ROWS, SPEC);
    assert.equal(again.computed, 0, 'a rerun computes nothing');
    assert.equal(again.cached, 4);
    assert.equal(again.bytes, 0);

    const skipped = { count: 0 };
    const out = path.join(dir, 'export');
    const res = exportSequencesParquet(storedSequenceRows(store, teacher.info.fingerprint, SPEC, first.refs, skipped), {
      outDir: out,
      prefix: 'train',
      spec: SPEC,
    });
    assert.equal(res.rows, 4);
    assert.equal(skipped.count, 0);
    const file = await asyncBufferFromFile(path.join(out, res.files[0]!.path));
    const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => r.id),
      ['a', 'b', 'c', 'a-again'],
    );

    const fresh = (await teacher.score(
      ROWS.filter((r) => r.id !== 'bad').map((r) => ({ input: r.input, seed: r.id })),
      SPEC,
    )) as SequenceTargets[];
    rows.forEach((row, i) => {
      const t = fresh[i]!;
      assert.deepEqual(row.input_ids, [...t.tokenIds]);
      const tokenIds = row.token_ids as number[][];
      const topValues = row.top_values as number[][];
      const scored = new Map([...t.positions].map((pos, p) => [pos, p]));
      for (let pos = 0; pos < t.tokenIds.length; pos++) {
        const p = scored.get(pos);
        if (p === undefined) {
          assert.ok(
            topValues[pos]!.every((v) => v === TOP_VALUE_PAD),
            `unscored position ${pos} is padding`,
          );
          continue;
        }
        assert.deepEqual(tokenIds[pos], [...t.topk!.ids.subarray(p * 16, (p + 1) * 16)]);
        for (let j = 0; j < 16; j++) {
          // stored quantized: the store's bound on the top entries is 0.02
          assert.ok(Math.abs(topValues[pos]![j]! - t.topk!.logprobs[p * 16 + j]!) <= 0.02);
        }
      }
    });
  } finally {
    await teacher.dispose();
    store.close();
  }
});
