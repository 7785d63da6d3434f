import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCorpus, newCorpusStats, type CorpusOptions, type CorpusRecord } from '../../src/jobs/corpus/index.ts';
import { DistilleryError } from '../../src/core/errors.ts';
import { Command } from 'commander';
import { addCorpusFlags, corpusOptions, type CorpusFlags } from '../../src/cli/corpus-flags.ts';
import { countShardRecords } from '../../src/jobs/runner/chunks.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'distillery-corpus-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function all(opts: CorpusOptions): Promise<CorpusRecord[]> {
  const out: CorpusRecord[] = [];
  for await (const r of readCorpus(opts)) out.push(r);
  return out;
}

test('JSONL: texts, labels, BOM, CRLF, blank lines, line numbers as ids', async () => {
  const p = file(
    'a.jsonl',
    '\uFEFF{"text":"good film","label":1}\r\n\r\n{"text":"bad, \\"really\\"","label":0}\r\n{"text":"no label"}',
  );
  const rs = await all({ path: p });
  assert.deepEqual(
    rs.map((r) => [r.line, r.id, r.input.text, r.label]),
    [
      [1, '1', 'good film', 1],
      [3, '3', 'bad, "really"', 0],
      [4, '4', 'no label', null],
    ],
  );
});

test('JSONL pairs via text_a/text_b and explicit columns', async () => {
  const p = file(
    'pairs.jsonl',
    '{"text_a":"a1","text_b":"b1","label":1,"k":"x"}\n{"text_a":"a2","text_b":"b2","label":0,"k":"y"}\n',
  );
  const rs = await all({ path: p });
  assert.deepEqual(
    rs.map((r) => r.input),
    [
      { text: 'a1', textPair: 'b1' },
      { text: 'a2', textPair: 'b2' },
    ],
  );
  const byId = await all({ path: p, textColumn: 'text_b', labelColumn: 'label', idColumn: 'k' });
  assert.deepEqual(
    byId.map((r) => [r.id, r.input.text, r.input.textPair]),
    [
      ['x', 'b1', undefined],
      ['y', 'b2', undefined],
    ],
  );
});

test('JSONL malformed line: stops with the line number by default, skips and counts with skipInvalid', async () => {
  const p = file('bad.jsonl', '{"text":"ok","label":1}\n{"text": broken\n{"text":3}\n{"text":"fine","label":0}\n');
  await assert.rejects(
    all({ path: p }),
    (e: unknown) => e instanceof DistilleryError && e.code === 'INVALID_INPUT' && e.message.includes('bad.jsonl:2:'),
  );
  const stats = newCorpusStats();
  const rs: CorpusRecord[] = [];
  for await (const r of readCorpus({ path: p, skipInvalid: true }, stats)) rs.push(r);
  assert.deepEqual(
    rs.map((r) => r.input.text),
    ['ok', 'fine'],
  );
  assert.equal(stats.records, 2);
  assert.equal(stats.skipped, 2);
  assert.deepEqual(
    stats.problems.map((x) => x.line),
    [2, 3],
  );
});

test('CSV: quoted fields with commas, doubled quotes, embedded CRLF newlines; line numbers track records', async () => {
  const p = file(
    'c.csv',
    'id,sentence,label\r\n7,"hello, world",1\r\n8,"she said ""hi""\r\nthen left",0\r\n9,plain,1\r\n',
  );
  const rs = await all({ path: p, idColumn: 'id' });
  assert.deepEqual(
    rs.map((r) => [r.line, r.id, r.input.text, r.label]),
    [
      [2, '7', 'hello, world', 1],
      [3, '8', 'she said "hi"\r\nthen left', 0],
      [5, '9', 'plain', 1],
    ],
  );
});

test('CSV: wrong field count and stray quote are malformed lines', async () => {
  const p = file('bad.csv', 'text,label\nok,1\ntoo,many,fields\nbro"ken,0\nlast,1\n');
  await assert.rejects(all({ path: p }), /bad\.csv:3: expected 2 fields, found 3/);
  const stats = newCorpusStats();
  const rs: CorpusRecord[] = [];
  for await (const r of readCorpus({ path: p, skipInvalid: true }, stats)) rs.push(r);
  assert.deepEqual(
    rs.map((r) => r.input.text),
    ['ok', 'last'],
  );
  assert.deepEqual(
    stats.problems.map((x) => x.line),
    [3, 4],
  );
});

test('CSV: an unterminated quote is reported, not swallowed', async () => {
  const p = file('open.csv', 'text,label\n"never closes,1\nnext,0\n');
  await assert.rejects(all({ path: p }), /open\.csv:2: a quoted field opened on line 2 never closes/);
});

test('TSV as GLUE writes it (no quoting, trailing space before the tab) and the real SST-2 dev file', async () => {
  const p = file('s.tsv', 'sentence\tlabel\nit \'s "fine" . \t1\n');
  assert.deepEqual(
    (await all({ path: p })).map((r) => [r.input.text, r.label]),
    [['it \'s "fine" .', 1]],
  );
  const shared = process.env.DISTILLERY_SHARED_DIR ?? path.resolve(import.meta.dirname, '../../../shared');
  const tsv = await all({ path: path.join(shared, 'data/corpora/sst2/dev.tsv') });
  const jsonl = await all({ path: path.join(shared, 'data/corpora/sst2/dev.jsonl') });
  assert.equal(tsv.length, 872);
  assert.deepEqual(
    tsv.map((r) => [r.input.text, r.label]),
    jsonl.map((r) => [r.input.text, r.label]),
  );
});

test('plain text: one item per line, blank lines skipped, last line without newline', async () => {
  const p = file('t.txt', 'first line\r\n\r\nsecond, with comma\nthird');
  assert.deepEqual(
    (await all({ path: p })).map((r) => [r.line, r.input.text]),
    [
      [1, 'first line'],
      [3, 'second, with comma'],
      [4, 'third'],
    ],
  );
});

test('missing column and missing file give clear errors', async () => {
  const p = file('cols.csv', 'body,y\nx,1\n');
  await assert.rejects(all({ path: p }), /no text column/);
  await assert.rejects(all({ path: p, textColumn: 'body', labelColumn: 'nope' }), /no column "nope"/);
  await assert.rejects(
    all({ path: path.join(dir, 'absent.jsonl') }),
    (e: unknown) => e instanceof DistilleryError && e.code === 'NOT_FOUND',
  );
});

test('records stream across read buffers (a 64 KiB boundary inside a quoted field)', async () => {
  const long = 'x'.repeat(70_000);
  const p = file('big.csv', `text,label\n"${long}\n${long}",1\nend,0\n`);
  const rs = await all({ path: p });
  assert.equal(rs.length, 2);
  assert.equal(rs[0]!.input.text, `${long}\n${long}`);
  assert.deepEqual([rs[1]!.line, rs[1]!.input.text], [4, 'end']);
});

test('ids: the `id` field by default, line numbers with idColumn false (--no-id-column), an explicit column wins', async () => {
  const p = file(
    'ids.jsonl',
    '{"id":"r-7","text":"good","label":1,"k":"a"}\n{"id":12,"text":"bad","label":0,"k":"b"}\n',
  );
  const ids = async (opts: Partial<CorpusOptions>) => (await all({ path: p, ...opts })).map((r) => [r.id, r.idColumn]);
  assert.deepEqual(await ids({}), [
    ['r-7', 'id'],
    ['12', 'id'],
  ]);
  assert.deepEqual(await ids({ idColumn: false }), [
    ['1', undefined],
    ['2', undefined],
  ]);
  assert.deepEqual(await ids({ idColumn: 'k' }), [
    ['a', 'k'],
    ['b', 'k'],
  ]);
  const csv = file('ids.csv', 'text,id\nx,first\ny,second\n');
  assert.deepEqual(
    (await all({ path: csv })).map((r) => r.id),
    ['first', 'second'],
  );
  // without an id field: line numbers as before
  assert.deepEqual(
    (await all({ path: file('noid.jsonl', '{"text":"a"}\n{"text":"b"}\n') })).map((r) => r.id),
    ['1', '2'],
  );
  // a record missing the id the first one had is malformed, like a missing text
  await assert.rejects(
    all({ path: file('gap.jsonl', '{"id":"a","text":"x"}\n{"text":"y"}\n') }),
    /gap\.jsonl:2: "id" \(the id column\) is empty/,
  );
});

test('ids: repeated default ids stop the job before it writes, saying how to use line numbers; the CLI flags map to the options', async () => {
  const p = file('dup.jsonl', '{"id":"a","text":"x"}\n{"id":"b","text":"y"}\n{"id":"a","text":"z"}\n');
  const stats = newCorpusStats();
  await assert.rejects(
    countShardRecords({ path: p }, undefined, (r) => r.input.text, stats),
    (e: unknown) =>
      e instanceof DistilleryError &&
      /dup\.jsonl:3: id "a" repeats the id of line 1/.test(e.message) &&
      /idColumn: false \(--no-id-column\)/.test(e.hint ?? ''),
  );
  assert.equal(
    await countShardRecords({ path: p, idColumn: false }, undefined, (r) => r.input.text, newCorpusStats()),
    3,
  );

  const parse = (args: string[]) => {
    const cmd = addCorpusFlags(new Command('x')).exitOverride();
    cmd.parse(['node', 'x', '--input', p, ...args]);
    return corpusOptions(cmd.opts<CorpusFlags>()).idColumn;
  };
  assert.equal(parse([]), undefined);
  assert.equal(parse(['--no-id-column']), false);
  assert.equal(parse(['--id-column', 'k']), 'k');
});
