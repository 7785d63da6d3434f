/**
 * A chunk read from its byte slice (what a worker reads: an S3 ranged GET or a file read from an offset)
 * holds the records a read of the whole corpus gives for its lines, for every format and chunk size: a CSV
 * header and quoted line breaks, a JSONL whose columns the first object names, CRLF, a BOM, blank and
 * invalid lines between chunks.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { newCorpusStats, readCorpus, readSequenceCorpus, type CorpusOptions } from '../../src/jobs/corpus/index.ts';
import { readChunkRecords } from '../../src/jobs/scale/chunk-work.ts';
import { planJob } from '../../src/jobs/scale/plan.ts';
import { planSequenceJob, readSequenceChunk } from '../../src/jobs/scale/sequence-plan.ts';
import type { JobSpec } from '../../src/jobs/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('distillery-slice-');

const CORPORA: Record<string, string> = {
  'a.jsonl':
    // the first object has no label: the whole file has no label column, and neither may a slice
    '\uFEFF{"id":"x0","text":"première"}\r\n\n{"id":"x1","text":"b","label":1}\r\n' +
    Array.from({ length: 9 }, (_, i) => `{"id":"y${i}","text":"t ${i} é","label":${i % 2}}`).join('\n') +
    '\nnot json\n{"id":"z","text":"last","label":0}',
  'b.csv':
    'id,text,label\r\n1,"two\nlines, quoted",0\r\n2,plain,1\r\n\r\n' +
    Array.from({ length: 8 }, (_, i) => `${i + 3},"q ""${i}""\r\nmore",${i % 3}`).join('\r\n') +
    '\r\n',
  'c.tsv': 'sentence\tlabel\n' + Array.from({ length: 11 }, (_, i) => `s ${i} ü \t${i % 2}`).join('\n') + '\n',
  'd.txt': '\uFEFFfirst\n\n' + Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n'),
};

const jobOf = (corpus: CorpusOptions, chunkSize: number): JobSpec =>
  ({
    dataset: 'slices',
    corpus,
    recipe: null,
    seed: 1,
    teachers: [{ name: 'demo', weight: 1 }],
    outputs: { logits: true, temperatures: [1], encoding: 'fp32' },
    chunkSize,
    export: [],
  }) as unknown as JobSpec;

test('every chunk read from its byte slice equals the same records read from the whole corpus', async () => {
  for (const [name, text] of Object.entries(CORPORA)) {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    const corpus = { path: file, skipInvalid: true, idColumn: name.endsWith('.csv') ? 'id' : undefined };
    const whole = [];
    for await (const r of readCorpus({ ...corpus }, newCorpusStats())) whole.push(r);
    for (const size of [1, 2, 3, 5, 100]) {
      const plan = await planJob(jobOf(corpus as CorpusOptions, size));
      const read = [];
      for (const c of plan.chunks) {
        assert.ok(c.bytes, `${name}: chunk ${c.index} has its bytes`);
        read.push(...(await readChunkRecords(plan.job, c)));
      }
      assert.deepEqual(read, whole, `${name} in chunks of ${size}`);
      // a slice is the chunk's bytes only: the last chunk ends at the file's end, the others where the next starts
      assert.equal(plan.chunks.at(-1)!.bytes!.end, Buffer.byteLength(text));
    }
  }
});

test('causal-LM chunks from their slices; with skipInvalid a repeated id is still found (read from the start)', async () => {
  const file = path.join(dir, 'seq.jsonl');
  const rows = Array.from({ length: 7 }, (_, i) => JSON.stringify({ id: `r${i}`, text: `row ${i}` }));
  rows.splice(4, 0, JSON.stringify({ id: 'r1', text: 'again' }));
  writeFileSync(file, `${rows.join('\n')}\n`);
  for (const skipInvalid of [true, false]) {
    const corpus = { path: file, skipInvalid };
    if (!skipInvalid) {
      await assert.rejects(planSequenceJob(jobOf(corpus, 2)), /repeats the id of line 2/);
      continue;
    }
    const whole = [];
    for await (const r of readSequenceCorpus(corpus, newCorpusStats())) whole.push(r);
    const plan = await planSequenceJob(jobOf(corpus, 2));
    const read = [];
    for (const c of plan.chunks) read.push(...(await readSequenceChunk(plan.job, c)));
    assert.deepEqual(read, whole);
  }
});

test('a corpus that grew or shrank since the plan fails each chunk naming the change, not with other lines', async () => {
  const file = path.join(dir, 'changing.jsonl');
  const rows = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `c${i}`, text: `row ${i}`, label: i % 2 }));
  writeFileSync(file, `${rows.join('\n')}\n`);
  const plan = await planJob(jobOf({ path: file }, 2));
  assert.equal(plan.chunks[2]!.bytes!.size, Buffer.byteLength(`${rows.join('\n')}\n`));
  // an edit earlier in the file shifts every later chunk's lines away from its planned bytes
  rows[0] = JSON.stringify({ id: 'c0', text: 'a longer first row', label: 0 });
  writeFileSync(file, `${rows.join('\n')}\n`);
  await assert.rejects(readChunkRecords(plan.job, plan.chunks[2]!), (e: Error & { hint?: string }) => {
    assert.match(
      e.message,
      /chunk 2: the corpus .*changing\.jsonl changed since the job was planned \(\d+ bytes then, \d+ bytes now\)/,
    );
    assert.match(e.hint ?? '', /jobs rm/);
    return true;
  });
  // the same size again (the planned file put back): the chunk reads its own lines
  rows[0] = JSON.stringify({ id: 'c0', text: 'row 0', label: 0 });
  writeFileSync(file, `${rows.join('\n')}\n`);
  const back = await readChunkRecords(plan.job, plan.chunks[2]!);
  assert.deepEqual(
    back.map((r) => r.line),
    [5, 6],
  );
});

test('the plan refuses a repeated id or a malformed line before anything is queued, naming the line', async () => {
  const file = path.join(dir, 'repeats.jsonl');
  const rows = ['a', 'b', 'c', 'b'].map((id, i) => JSON.stringify({ id, text: `row ${i}`, label: 0 }));
  writeFileSync(file, `${rows.join('\n')}\n`);
  await assert.rejects(
    planJob(jobOf({ path: file, idColumn: 'id' }, 2)),
    /repeats\.jsonl:4: id "b" repeats the id of line 2/,
  );
  writeFileSync(file, `${rows.slice(0, 2).join('\n')}\n{"id": broken\n`);
  await assert.rejects(planJob(jobOf({ path: file, idColumn: 'id' }, 2)), /repeats\.jsonl:3/);
});
