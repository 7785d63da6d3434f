import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJob, parseJobYaml, outputSpecOf } from '../../src/jobs/job-schema.ts';
import { DistilleryError } from '../../src/core/errors.ts';

function issues(value: unknown): string[] {
  try {
    parseJob(value);
  } catch (e) {
    assert.ok(e instanceof DistilleryError);
    assert.equal(e.code, 'INVALID_INPUT');
    return (e.details!.issues as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected the job to be rejected');
}

test('a minimal YAML job gets its defaults', () => {
  const job = parseJobYaml(`
dataset: sst2-dev
corpus: { path: data/dev.jsonl }
recipe: eda
teachers: [demo]
`);
  assert.equal(job.chunkSize, 1000);
  assert.equal(job.seed, 1);
  assert.deepEqual(job.teachers, [{ name: 'demo', weight: 1 }]);
  assert.deepEqual(job.corpus, { path: 'data/dev.jsonl', skipInvalid: false });
  assert.deepEqual(outputSpecOf(job), { logits: true, temperatures: [1], encoding: 'fp32' });
  assert.equal(job.shard, undefined);
});

test('a full job parses, shard becomes numbers, output spec carries hidden/topK', () => {
  const job = parseJob({
    dataset: 'x',
    corpus: { path: 'c.csv', format: 'csv', textColumn: 'sentence', labelColumn: 'y', skipInvalid: true },
    recipe: { name: 'swaps', flow: { op: 'swap', params: { alpha: 0.1 } }, variants: 2 },
    seed: 'abc',
    teachers: [{ name: 'a', weight: 2 }, 'b'],
    outputs: { temperatures: [1, 2, 4], topK: 5, hidden: { layers: [12], pooling: 'mean' }, encoding: 'fp16' },
    filters: { disagreement: 'flag', minConfidence: 0.6 },
    export: [{ format: 'parquet', out: 'out/', average: true }],
    chunkSize: 64,
    shard: '1/4',
  });
  assert.deepEqual(job.shard, { index: 1, count: 4 });
  assert.deepEqual(job.teachers, [
    { name: 'a', weight: 2 },
    { name: 'b', weight: 1 },
  ]);
  assert.deepEqual(outputSpecOf(job), {
    logits: true,
    temperatures: [1, 2, 4],
    topK: 5,
    hidden: { layers: [12], pooling: 'mean' },
    encoding: 'fp16',
  });
});

test('messages point at the field path', () => {
  const base = { dataset: 'd', corpus: { path: 'c.jsonl' }, teachers: ['demo'] };
  assert.deepEqual(issues({ ...base, outputs: { temperatures: [1, -2] } }), [
    'outputs.temperatures[1]: expected a number in [0.05, 100]',
  ]);
  assert.deepEqual(issues({ ...base, shard: '4/4' }), ['shard: expected "i/n" with 0 <= i < n']);
  assert.deepEqual(issues({ ...base, chunkSize: 0 }), ['chunkSize: expected an integer >= 1 (examples per chunk)']);
  assert.deepEqual(issues({ ...base, teachers: [] }), ['teachers: expected at least one teacher']);
  assert.deepEqual(issues({ ...base, teachers: ['demo', { name: 'demo' }] }), [
    'teachers[1].name: teacher "demo" is listed twice',
  ]);
  assert.deepEqual(issues({ ...base, corpus: { path: 'c', format: 'xml' } }), [
    'corpus.format: expected one of jsonl, csv, tsv, text',
  ]);
  assert.deepEqual(issues({ ...base, outputs: { encodng: 'fp16' } }), ['outputs: unknown field "encodng"']);
  assert.deepEqual(
    issues({
      ...base,
      export: [
        { format: 'parquet', out: 'o' },
        { format: 'csv', out: 'o' },
      ],
    }),
    ['export[1].format: expected parquet, safetensors or jsonl'],
  );
  assert.deepEqual(issues({ corpus: { path: 'c' }, teachers: ['t'] }), ['dataset: expected a dataset id']);
  assert.equal(issues({ ...base, recipe: 'edaa' }).length, 1);
  assert.match(issues({ ...base, recipe: 'edaa' })[0]!, /^recipe: expected a built-in recipe/);
  assert.deepEqual(issues({ ...base, corpus: { path: 'c', idColumn: true } }), [
    'corpus.idColumn: expected a column name, or false for line numbers',
  ]);
  assert.equal(parseJob({ ...base, corpus: { path: 'c', idColumn: false } }).corpus.idColumn, false);
});

test('YAML syntax errors say so in one line', () => {
  assert.throws(() => parseJobYaml('dataset: [oops'), /JOB\.yaml: not valid YAML/);
});
