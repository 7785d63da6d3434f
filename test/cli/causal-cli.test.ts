/**
 * The CLI with a causal-LM teacher, as real processes on models/demo-lm: `run` killed with SIGKILL
 * mid-job and rerun gives the export bytes of an uninterrupted run of the same job (same chunk size:
 * the batches, and so the last float bits of the target log-probs, follow the chunks);
 * `label`, `export` and `eval` take the causal teacher; a job asking for more top-k ids than the
 * vocabulary holds is refused naming the field.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { killAfterThirdChunk, runCli } from '../jobs/helpers/cli.ts';

const dir = tempDir('causal-cli-');
const CONFIG = path.join(REPO_ROOT, 'data', 'demo-lm.config.yaml');
const REVIEWS = path.join(REPO_ROOT, 'data', 'demo-reviews.jsonl');
const CHAT = path.join(REPO_ROOT, 'data', 'demo-chat.jsonl');

function writeJob(name: string, chunkSize: number, extra = ''): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `dataset: reviews-lm
corpus: { path: ${JSON.stringify(REVIEWS)} }
teachers: [demo-lm]
sequence: { topK: 16, samples: 8, scope: all${extra} }
chunkSize: ${chunkSize}
export: [{ format: parquet, out: out-${name} }]
`,
  );
  return file;
}

const exported = (name: string): Buffer => {
  const m = JSON.parse(readFileSync(path.join(dir, `out-${name}/reviews-lm.parquet.manifest.json`), 'utf8')) as {
    rows: number;
    files: { path: string }[];
  };
  assert.equal(m.rows, 300);
  return readFileSync(path.join(dir, `out-${name}`, m.files[0]!.path));
};

const cli = (...args: string[]) => runCli([...args, '--config', CONFIG]);

test('kill -9 mid-run, rerun: the causal-LM export equals an uninterrupted run byte for byte', async () => {
  const whole = await cli('run', writeJob('whole', 10), '--db', path.join(dir, 'whole.db'), '--progress', 'none');
  assert.equal(whole.code, 0, whole.stderr);
  assert.match(whole.stdout, /300 examples from 300 records; teacher computed 300/);

  const job = writeJob('killed', 10);
  const db = path.join(dir, 'killed.db');
  const killedAt = await killAfterThirdChunk(['run', job, '--db', db, '--config', CONFIG], 'causal-kill', 100);
  const store = openStore(db);
  const committed = store.datasetSequences.counts('reviews-lm').rows;
  store.close();
  assert.ok(committed >= killedAt * 10 && committed < 300, `${committed} rows committed`);
  assert.equal(committed % 10, 0, 'only whole chunks are committed');

  const resumed = await cli('run', job, '--db', db, '--progress', 'none');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`300 examples from 300 records, resumed after ${committed} records`));
  assert.ok(exported('killed').equals(exported('whole')), 'the resumed export must equal the uninterrupted one');
  const again = await cli('run', job, '--db', db, '--progress', 'none', '--no-export');
  assert.match(again.stdout, /is up to date: 300 examples from 300 records; nothing recomputed/);
});

test('label, export and eval take a causal-LM teacher; k larger than the vocabulary is refused by field', async () => {
  const db = path.join(dir, 'label.db');
  const out = path.join(dir, 'label-out');
  const label = await cli(
    'label',
    '--teacher',
    'demo-lm',
    '--input',
    CHAT,
    '--top-k',
    '8',
    '--samples',
    '4',
    '--mask-roles',
    'tool',
    '--db',
    db,
    '--out',
    out,
    '--export-format',
    'jsonl',
    '--progress',
    'none',
  );
  assert.equal(label.code, 0, label.stderr);
  assert.match(label.stdout, /refused chat-19: response: response is empty/);
  assert.match(label.stdout, /refused chat-20: messages\[0\]\.role: unknown role "narrator"/);
  assert.match(label.stdout, /18 examples from 20 records; teacher computed 18/);
  const lines = readFileSync(path.join(out, 'label-demo-chat-00000.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 18);
  assert.equal((JSON.parse(lines[0]!) as { topk_ids: number[][] }).topk_ids[0]!.length, 8);

  const parquet = await cli('export', 'label-demo-chat', '--format', 'parquet', '--out', out, '--db', db);
  assert.equal(parquet.code, 0, parquet.stderr);
  assert.match(parquet.stdout, /exported 18 sequences in 1 file\(s\) \(2 refused rows left out\)/);

  const shown = await cli('datasets', 'show', 'label-demo-chat', '--db', db);
  assert.equal(shown.code, 0, shown.stderr);
  const seqs = (
    JSON.parse(shown.stdout) as { sequences: { rows: number; refusedRows: { id: string; field: string }[] } }
  ).sequences;
  assert.equal(seqs.rows, 20);
  assert.deepEqual(
    seqs.refusedRows.map((r) => [r.id, r.field]),
    [
      ['chat-19', 'response'],
      ['chat-20', 'messages[0].role'],
    ],
  );

  // `datasets list` counts sequences, not "N original, 0 augmented"
  const listed = await cli('datasets', 'list', '--db', db);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^label-demo-chat\tdone\t18 sequences \(20 from the corpus, 2 refused\)\t1 teacher/m);

  // the one-file report of a causal-LM dataset carries the sequence report (stats + strips), not the classifier one
  const html = path.join(out, 'report.html');
  const reported = await cli('report', 'label-demo-chat', '--out', html, '--db', db, '--examples', '5');
  assert.equal(reported.code, 0, reported.stderr);
  assert.match(reported.stdout, /, 20 sequences\)/);
  const data = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(readFileSync(html, 'utf8'));
  const bundled = JSON.parse(data![1]!) as {
    report: { kind: string; totals: { sequences: number; refused: number }; samples: unknown[]; tokenTexts: boolean };
  };
  assert.equal(bundled.report.kind, 'sequence');
  assert.deepEqual([bundled.report.totals.sequences, bundled.report.totals.refused], [20, 2]);
  assert.equal(bundled.report.samples.length, 5);
  assert.equal(bundled.report.tokenTexts, true, 'token texts come from the configured teacher');

  const evaluated = await cli('eval', '--teacher', 'demo-lm', '--input', CHAT, '--db', db, '--json');
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const report = JSON.parse(evaluated.stdout) as { rows: number; refused: number; tokens: number; perplexity: number };
  assert.equal(report.rows, 20);
  assert.equal(report.refused, 2);
  assert.ok(report.tokens > 100 && report.perplexity > 1 && report.perplexity < 421, JSON.stringify(report));

  const tooBig = writeJob('too-big', 10);
  writeFileSync(tooBig, readFileSync(tooBig, 'utf8').replace('topK: 16', 'topK: 1000'));
  const refused = await cli('run', tooBig, '--db', db, '--progress', 'none');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /sequence\.topK: 1000 is larger than the vocabulary of demo-lm \(421 ids\)/);
});
