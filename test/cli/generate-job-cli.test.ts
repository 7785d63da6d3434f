/**
 * `distillery run` of a causal-LM job with `sequence.generate`, as real processes on models/demo-lm:
 * prompts -> the teacher's sampled responses -> teacher-forced labels -> DistillKit Parquet, in one run;
 * a rerun in a fresh store writes the same bytes; a run killed with SIGKILL mid-job and rerun writes the
 * bytes of the uninterrupted run; bad generation params are refused naming the field, before any work.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { killAfterThirdChunk, runCli } from '../jobs/helpers/cli.ts';

const dir = tempDir('generate-cli-');
const CONFIG = path.join(REPO_ROOT, 'data', 'demo-lm.config.yaml');
const PROMPTS = path.join(REPO_ROOT, 'data', 'demo-prompts.jsonl');
const PROMPT_ROWS = 20;
const N = 2;

function writeJob(name: string, generate = `{ n: ${N}, maxNewTokens: 12, temperature: 0.9, topP: 0.95 }`): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `dataset: gen
corpus: { path: ${JSON.stringify(PROMPTS)} }
teachers: [demo-lm]
seed: 11
sequence: { topK: 8, generate: ${generate} }
chunkSize: 2
export: [{ format: parquet, out: out-${name} }, { format: jsonl, out: out-${name} }]
`,
  );
  return file;
}

/** The labelled rows of a run's summary line (an empty response is refused with its reason, not exported). */
function labelled(stdout: string): number {
  const m = new RegExp(`(\\d+) examples from ${PROMPT_ROWS * N} records`).exec(stdout);
  assert.ok(m, stdout);
  return Number(m[1]);
}

const exported = (name: string, rows: number): Buffer => {
  const m = JSON.parse(readFileSync(path.join(dir, `out-${name}/gen.parquet.manifest.json`), 'utf8')) as {
    rows: number;
    files: { path: string }[];
  };
  assert.equal(m.rows, rows);
  return readFileSync(path.join(dir, `out-${name}`, m.files[0]!.path));
};

const cli = (...args: string[]) => runCli([...args, '--config', CONFIG]);
const total = PROMPT_ROWS * N;

test('prompts -> generate -> teacher-forced labels -> Parquet in one run; a rerun writes the same bytes', async () => {
  const first = await cli('run', writeJob('first'), '--db', path.join(dir, 'first.db'), '--progress', 'none');
  assert.equal(first.code, 0, first.stderr);
  const rows = labelled(first.stdout);
  assert.ok(rows > total / 2, `most responses are labelled: ${first.stdout}`);
  const again = await cli('run', writeJob('again'), '--db', path.join(dir, 'again.db'), '--progress', 'none');
  assert.equal(again.code, 0, again.stderr);
  assert.ok(
    exported('again', rows).equals(exported('first', rows)),
    'a rerun in a fresh store must export the same bytes',
  );

  // the rows are the teacher's own responses: ids name parent and variant, the variants differ
  const store = openStore(path.join(dir, 'first.db'));
  const ids = [...store.datasetSequences.iterate('gen')].map((r) => r.id);
  store.close();
  assert.deepEqual(ids.slice(0, 4), ['p-01#g0', 'p-01#g1', 'p-02#g0', 'p-02#g1']);
  assert.equal(ids.length, total);
  const m = JSON.parse(readFileSync(path.join(dir, 'out-first/gen.jsonl.manifest.json'), 'utf8')) as {
    files: { path: string }[];
  };
  const first1 = JSON.parse(readFileSync(path.join(dir, 'out-first', m.files[0]!.path), 'utf8').split('\n')[0]!) as {
    id: string;
    provenance: string;
  };
  const p = JSON.parse(first1.provenance) as Record<string, unknown>;
  const variant = Number(first1.id.split('#g')[1]);
  assert.deepEqual(
    { parent: p.parent, op: p.op, seed: p.seed, variant: p.variant, n: (p.params as { n: number }).n },
    { parent: first1.id.split('#g')[0], op: 'generate', seed: 11, variant, n: N },
  );
  assert.equal((p.params as { temperature: number }).temperature, 0.9);

  const listed = await cli('datasets', 'list', '--db', path.join(dir, 'first.db'), '--json');
  assert.equal(listed.code, 0, listed.stderr);
  const [gen] = JSON.parse(listed.stdout) as { id: string; originals: number; augmentations: number }[];
  assert.deepEqual(
    { id: gen!.id, originals: gen!.originals, augmentations: gen!.augmentations },
    { id: 'gen', originals: 0, augmentations: total },
  );
});

test('kill -9 mid-run, rerun: the generated-and-labelled export equals an uninterrupted run byte for byte', async () => {
  const job = writeJob('killed');
  const db = path.join(dir, 'killed.db');
  const killedAt = await killAfterThirdChunk(['run', job, '--db', db, '--config', CONFIG], 'generate-kill', 100);
  const store = openStore(db);
  const committed = store.datasetSequences.counts('gen').rows;
  store.close();
  assert.ok(committed >= killedAt * 2 * N && committed < total, `${committed} rows committed`);
  assert.equal(committed % (2 * N), 0, 'only whole chunks (all responses of their prompts) are committed');

  const resumed = await cli('run', job, '--db', db, '--progress', 'none');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`from ${total} records, resumed after ${committed} records`));
  const whole = await cli('run', writeJob('whole'), '--db', path.join(dir, 'whole.db'), '--progress', 'none');
  assert.equal(whole.code, 0, whole.stderr);
  const rows = labelled(whole.stdout);
  assert.equal(labelled(resumed.stdout), rows);
  assert.ok(
    exported('killed', rows).equals(exported('whole', rows)),
    'the resumed export must equal the uninterrupted one',
  );
});

test('bad generation params are refused naming the field, before the teacher loads', async () => {
  for (const [generate, field] of [
    ['{ n: 2, temperature: -1 }', 'sequence.generate.temperature'],
    ['{ n: 0 }', 'sequence.generate.n'],
    ['{ topP: 1.5 }', 'sequence.generate.topP'],
    ['{ beams: 4 }', 'sequence.generate.beams'],
  ] as const) {
    const db = path.join(dir, 'bad.db');
    const r = await cli('run', writeJob('bad', generate), '--db', db, '--progress', 'none');
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(field), `${generate}: ${r.stderr}`);
  }
});
