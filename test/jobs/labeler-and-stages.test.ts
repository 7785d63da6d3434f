import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import type { OutputSpec, TeacherRunner, TextInput } from '../../src/core/types.ts';
import { labelInputs, tokenBudgetBatches } from '../../src/labels/index.ts';
import { mapAhead } from '../../src/jobs/runner/map-ahead.ts';
import { renderBar, type ProgressEvent } from '../../src/jobs/runner/progress.ts';
import { StoreRunnerAdapter } from '../../src/jobs/runner/store-adapter.ts';
import { dedupeAugmentations } from '../../src/jobs/runner/dedupe.ts';
import { inShard, shardOf } from '../../src/jobs/runner/shard.ts';
import { inputHash, openStore } from '../../src/store/index.ts';
import { TeacherRegistry } from '../../src/teacher/registry.ts';
import { REPO_ROOT } from '../../src/config.ts';
import type { Example } from '../../src/core/types.ts';

const dir = tempDir('distillery-labeler-');

/** A real teacher that records what it was asked for. */
function recording(teacher: TeacherRunner): { runner: TeacherRunner; calls: { n: number; spec: OutputSpec }[] } {
  const calls: { n: number; spec: OutputSpec }[] = [];
  const runner: TeacherRunner = {
    info: teacher.info,
    infer: (inputs: TextInput[], spec: OutputSpec, opts?: { signal?: AbortSignal }) => {
      calls.push({ n: inputs.length, spec });
      return teacher.infer(inputs, spec, opts);
    },
    dispose: () => teacher.dispose(),
  };
  return { runner, calls };
}

test('labeler: cache first, only missing inputs and only missing components go to the teacher', async () => {
  const registry = new TeacherRegistry(
    [
      {
        name: 'tiny',
        path: path.join(REPO_ROOT, 'models/tiny-bert-classifier'),
        dtype: 'fp32',
        device: 'cpu',
        threads: 1,
      },
    ],
    {
      modelsDir: path.join(REPO_ROOT, 'models'),
      allowRemote: false,
    },
  );
  const store = openStore(path.join(dir, 'l.db'));
  const cache = new StoreRunnerAdapter(store, 1000);
  const { runner, calls } = recording(await registry.get('tiny'));
  store.registerTeacher(runner.info);
  const texts = ['the film is good', 'the film is bad', 'the film is good', 'a plot'].map((text) => ({ text }));
  const logitsSpec: OutputSpec = { logits: true, temperatures: [1], encoding: 'fp32' };

  const first = await labelInputs(runner, cache, texts, logitsSpec);
  assert.deepEqual([first.unique, first.computed, first.cached], [3, 3, 0]);
  assert.deepEqual(
    calls.map((c) => c.n),
    [3],
  );

  // one new text: only it is computed
  const second = await labelInputs(runner, cache, [...texts, { text: 'new words here' }], logitsSpec);
  assert.deepEqual([second.computed, second.cached], [1, 3]);
  assert.deepEqual(calls.at(-1)!.n, 1);

  // asking for hidden states as well computes only the hidden component for the cached inputs
  const withHidden: OutputSpec = { ...logitsSpec, hidden: { layers: 'last', pooling: 'cls' } };
  const third = await labelInputs(runner, cache, texts, withHidden);
  assert.deepEqual([third.computed, third.cached], [3, 0]);
  const asked = calls.at(-1)!.spec;
  assert.equal(asked.logits, false);
  assert.deepEqual(asked.hidden, { layers: [runner.info.hiddenLayers - 1], pooling: 'cls' });
  assert.equal(
    cache.missing(
      runner.info,
      texts.map((t) => inputHash(t)),
      withHidden,
    ).size,
    0,
  );
  store.close();
  await registry.close();
});

test('token-budget batches keep padded size within the budget and the input order', () => {
  const inputs = ['a', 'b'.repeat(40), 'c', 'd'.repeat(400), 'e'].map((text) => ({ text }));
  const batches = tokenBudgetBatches(inputs, 64, 512);
  assert.deepEqual(
    batches.flat().map((b) => b.text[0]),
    ['a', 'b', 'c', 'd', 'e'],
  );
  for (const b of batches)
    if (b.length > 1) assert.ok(Math.max(...b.map((x) => Math.ceil(x.text.length / 4) + 2)) * b.length <= 64);
  // a single input longer than the budget still gets its own batch
  assert.ok(batches.some((b) => b.length === 1 && b[0]!.text.startsWith('d')));
});

test('mapAhead keeps order and pulls at most `ahead` items beyond the consumer', async () => {
  let pulled = 0;
  async function* source() {
    for (let i = 0; i < 10; i++) {
      pulled++;
      yield i;
    }
  }
  const seen: number[] = [];
  for await (const v of mapAhead(source(), async (x) => x * 2, 1)) {
    seen.push(v);
    // consumer holds item k; the stage may have worked on k+1 (and the source yielded up to k+2)
    assert.ok(pulled <= seen.length + 2, `pulled ${pulled} while holding ${seen.length}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.deepEqual(seen, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
});

test('mapAhead propagates a stage error to the consumer', async () => {
  async function* source() {
    yield 1;
    yield 2;
  }
  await assert.rejects(async () => {
    for await (const _ of mapAhead(source(), async (x) => {
      if (x === 2) throw new Error('boom');
      return x;
    })) {
      // consume
    }
  }, /boom/);
});

test('dedupe drops augmentations equal to their original or an earlier sibling, after normalization', () => {
  const o = (id: string, text: string): Example => ({ id, text, origin: { kind: 'original' } });
  const a = (id: string, parentId: string, text: string, ops = ['swap']): Example => ({
    id,
    text,
    origin: { kind: 'augmentation', parentId, ops, params: {}, seed: '1', changed: [] },
  });
  const r = dedupeAugmentations(
    [
      o('1', 'a b c'),
      a('1~0', '1', 'a  b c'),
      a('1~1', '1', 'b a c'),
      a('1~2', '1', 'b a c ', ['swap', 'delete']),
      o('2', 'b a c'),
      a('2~0', '2', 'x'),
    ],
    (e) => inputHash(e),
  );
  assert.deepEqual(
    r.examples.map((e) => e.id),
    ['1', '1~1', '2', '2~0'],
  );
  assert.equal(r.dropped, 2);
  // counted under the op chain the report groups by
  assert.deepEqual(
    [...r.droppedByChain],
    [
      ['swap', 1],
      ['swap+delete', 1],
    ],
  );
});

test('shard assignment is a pure function of the input hash', () => {
  const h = inputHash({ text: 'some sentence' });
  assert.equal(shardOf(h, 4), shardOf(inputHash({ text: '  some   sentence ' }), 4));
  assert.equal([0, 1, 2, 3].filter((i) => inShard(h, { index: i, count: 4 })).length, 1);
  assert.ok(inShard(h, undefined));
});

test('progress bar shows percent, counts, rate and ETA', () => {
  const e: ProgressEvent = {
    type: 'chunk',
    dataset: 'd',
    records: 250,
    totalRecords: 1000,
    chunks: 1,
    examples: 1100,
    computed: 1100,
    cached: 0,
    invalid: 0,
    resumed: 0,
    elapsedSeconds: 5,
    rate: 50,
    etaSeconds: 15,
  };
  const line = renderBar(e, 20);
  assert.equal(line, 'd [#####...............]  25.0% 250/1000 records, 1100 examples, 50.0 rec/s, ETA 00:15');
  assert.match(renderBar({ ...e, etaSeconds: 3725 }, 20), /ETA 1:02:05$/);
});
