/**
 * `distillery augment` reads a small corpus once: the scan that counts it for the recipe keeps its records,
 * and augmenting them writes exactly what a second read of the file would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCorpus, scanCorpus, type CorpusOptions, type CorpusRecord } from '../../src/jobs/corpus/index.ts';
import { augmentFile } from '../../src/jobs/augment-file.ts';
import { makeAugmenterFactory } from '../../src/jobs/augmenter.ts';
import { newCorpusStats } from '../../src/jobs/corpus/types.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'distillery-augment-file-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const corpus: CorpusOptions = { path: path.join(dir, 'c.jsonl'), skipInvalid: true };
writeFileSync(
  corpus.path,
  [
    '{"id":"a","text":"a gripping and often very funny film about friendship","label":1}',
    'not json',
    '{"id":"b","text":"the plot is thin , but the actors make it worth watching","label":1}',
    '{"id":"c","text":"a dull , lifeless movie","label":0}',
  ].join('\n'),
);

async function read(opts: CorpusOptions): Promise<CorpusRecord[]> {
  const out: CorpusRecord[] = [];
  for await (const r of readCorpus(opts)) out.push(r);
  return out;
}

test('scanCorpus keeps the records of a file up to keepBytes, with the same counts; none above it or by default', async () => {
  const size = statSync(corpus.path).size;
  const kept = await scanCorpus(corpus, size);
  assert.deepEqual(kept.kept, await read(corpus));
  assert.deepEqual(
    { records: kept.records, skipped: kept.skipped, problems: kept.problems.length },
    {
      records: 3,
      skipped: 1,
      problems: 1,
    },
  );
  const over = await scanCorpus(corpus, size - 1);
  assert.equal(over.kept, undefined);
  assert.equal(over.records, 3);
  assert.equal((await scanCorpus(corpus)).kept, undefined);
});

test('augmentFile over kept records writes what it writes reading the file, and leaves stats alone', async () => {
  const augmenter = await makeAugmenterFactory()({ builtin: 'eda', variants: 4 }, 7, {
    corpusRecords: 3,
    teachers: [],
  });
  const run = async (records?: CorpusRecord[]) => {
    let text = '';
    let writes = 0;
    const stats = newCorpusStats();
    const totals = await augmentFile(
      corpus,
      augmenter,
      (lines) => {
        text += lines;
        writes++;
      },
      { stats, records },
    );
    return { text, writes, totals, stats };
  };
  const fromFile = await run();
  const fromKept = await run((await scanCorpus(corpus, Infinity)).kept);
  assert.equal(fromKept.text, fromFile.text);
  assert.deepEqual(fromKept.totals, fromFile.totals);
  assert.equal(fromFile.totals.records, 3);
  assert.ok(fromFile.totals.augmentations > 3, `${fromFile.totals.augmentations} augmentations`);
  assert.equal(fromFile.text.split('\n').length, 3 + fromFile.totals.augmentations + 1, 'one line each, newline-ended');
  assert.equal(fromFile.writes, 1, 'one write per chunk');
  assert.equal(fromFile.stats.skipped, 1);
  assert.deepEqual(fromKept.stats, newCorpusStats());
});
