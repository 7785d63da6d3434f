/**
 * The report of a causal-LM dataset (models/demo-lm over real SST-2 sentences, a real SQLite file):
 * its histograms, totals and next-token figures are recomputed here from the stored rows, read one
 * sequence at a time, and its token strips are checked position by position against the stored targets;
 * and a real causal-LM job's dataset (refused rows, response-only scoring) reads the same way.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../src/config.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../../src/core/sequence-types.ts';
import { parseJob, resolveJob, startJob } from '../../src/jobs/index.ts';
import { ReportCache } from '../../src/report/report-cache.ts';
import { buildSequenceStats, isSequenceDataset, SEQUENCE_PAGE } from '../../src/report/sequence-report.ts';
import { sequenceSamples, withTokenTexts } from '../../src/report/sequence-samples.ts';
import { tokenTexter } from '../../src/report/token-labels.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { CausalTeacher } from '../../src/teacher/causal/causal-teacher.ts';
import { loadTokenizer } from '../../src/teacher/hf-env.ts';
import { TeacherRegistry } from '../../src/teacher/registry.ts';
import { makeSequenceDataset, textRows } from '../helpers/sequence-dataset.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SHARED = process.env.DISTILLERY_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
const LM_DIR = path.join(REPO_ROOT, 'models/demo-lm');
const SPEC: SequenceOutputSpec = { temperature: 1, topK: 8, target: true };
// more rows than one page, so the pass crosses page boundaries
const ROWS = SEQUENCE_PAGE + 14;

describe('causal-LM dataset report', () => {
  let store: Store;
  let teacher: CausalTeacher;
  /** labelled rows in corpus order, with their stored targets */
  let stored: { id: string; t: SequenceTargets }[];
  /** every row id in corpus order, the refused one included */
  let order: string[];

  before(async () => {
    const dir = tempDir('seq-report-');
    store = openStore(path.join(dir, 'store.db'));
    teacher = await CausalTeacher.load({ name: 'demo-lm', dir: LM_DIR, graphCacheDir: path.join(dir, 'graphs') });
    const lines = readFileSync(path.join(SHARED, 'data/corpora/sst2/dev.jsonl'), 'utf8').split('\n');
    const texts = textRows(lines, ROWS);
    // a refused row among the others: counted, shown as refused, never read as a sequence
    const rows = [...texts.slice(0, 5), { id: 'empty', input: { text: '' } }, ...texts.slice(5)];
    order = rows.map((r) => r.id);
    const report = await makeSequenceDataset(store, teacher, 'sst2-lm', rows, SPEC, { scope: 'all' });
    assert.equal(report.errors.length, 1, 'the empty row is refused, not stored');
    // the stored rows, read one by one with the store's own reader: the reference for every figure
    stored = report.refs.map((r) => ({ id: r.id, t: store.sequences.get(teacher.info.fingerprint, r.hash, SPEC)! }));
    assert.ok(stored.every((s) => s.t !== undefined));
  });

  after(async () => {
    await teacher?.dispose();
    store?.close();
  });

  test('totals, histograms and next-token figures match the stored rows', () => {
    assert.equal(isSequenceDataset(store, 'sst2-lm'), true);
    const r = buildSequenceStats(store, 'sst2-lm');
    assert.equal(r.teacher?.fingerprint, teacher.info.fingerprint);
    assert.deepEqual(r.teacher?.spec, SPEC);
    assert.equal(r.totals.sequences, ROWS + 1);
    assert.equal(r.totals.labelled, ROWS);
    assert.equal(r.totals.refused, 1);
    assert.equal(
      r.totals.tokens,
      stored.reduce((a, s) => a + s.t.tokenIds.length, 0),
    );
    const entropies = stored.flatMap((s) => [...s.t.target!.entropy]);
    const logprobs = stored.flatMap((s) => [...s.t.target!.logprob]);
    const ranks = stored.flatMap((s) => [...s.t.target!.rank]);
    const tails = stored.flatMap((s) => [...s.t.topk!.tailMass]);
    assert.equal(r.totals.positions, entropies.length);

    // entropy: equal bins from 0 that cover every value, each value counted in [lo, hi)
    const e = r.entropy!;
    assert.equal(e.edges[0], 0);
    assert.ok(e.edges.at(-1)! > Math.max(...entropies), 'the top edge is above every entropy');
    assert.ok(e.counts.length <= 20 && e.counts.length >= 1);
    const width = e.edges[1]! - e.edges[0]!;
    e.edges.forEach((x, i) => assert.ok(Math.abs(x - i * width) < 1e-12));
    const expected = e.counts.map((_, i) => entropies.filter((h) => h >= e.edges[i]! && h < e.edges[i + 1]!).length);
    assert.deepEqual(e.counts, expected);
    assert.ok(e.counts.filter((c) => c > 0).length > 3, 'demo-lm is not equally sure everywhere');

    // mass: 20 bins on [0, 1], the top edge in the last bin
    const m = r.mass!;
    const massCounts = new Array<number>(20).fill(0);
    for (const tail of tails) massCounts[Math.min(19, Math.floor((1 - tail) * 20))]!++;
    assert.deepEqual(m.counts, massCounts);
    assert.equal(m.edges.length, 21);

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(r.summary.meanEntropy! - mean(entropies)) < 1e-9);
    assert.ok(Math.abs(r.summary.meanTargetLogprob! - mean(logprobs)) < 1e-9);
    assert.ok(Math.abs(r.summary.perplexity! - Math.exp(-mean(logprobs))) < 1e-6);
    assert.equal(r.summary.top1Share, ranks.filter((k) => k === 0).length / ranks.length);
    // the mass as the sum of the stored top-k probabilities: the same within the codec's bound
    const topkMass = stored.flatMap((s) =>
      Array.from({ length: s.t.positions.length }, (_, p) =>
        s.t.topk!.logprobs.subarray(p * 8, p * 8 + 8).reduce((a, lp) => a + Math.exp(lp), 0),
      ),
    );
    assert.ok(Math.abs(r.summary.meanMass! - mean(topkMass)) < 0.02, `${r.summary.meanMass} vs ${mean(topkMass)}`);
  });

  test('token strips: each token coloured by the row of the position before it, with the top alternatives', async () => {
    const samples = sequenceSamples(store, 'sst2-lm', { offset: 3, rows: 4, alternatives: 3 });
    assert.deepEqual(
      samples.map((s) => s.id),
      order.slice(3, 7),
    );
    const refused = samples.find((s) => s.id === 'empty')!;
    assert.equal(refused.labelled, false);
    assert.equal(refused.refused?.field, 'text');
    assert.deepEqual(refused.strip, []);
    const labelled = samples.filter((s) => s.id !== 'empty');
    assert.equal(labelled.length, 3);
    labelled.forEach((s) => {
      const t = stored.find((x) => x.id === s.id)!.t;
      assert.equal(s.labelled, true);
      assert.equal(s.length, t.tokenIds.length);
      assert.deepEqual(
        s.strip.map((x) => x.id),
        [...t.tokenIds],
      );
      const rowOf = new Map([...t.positions].map((pos, p) => [pos, p]));
      s.strip.forEach((tok, i) => {
        const p = rowOf.get(i - 1);
        if (p === undefined) return assert.equal(tok.logprob, undefined, `token ${i} has no row before it`);
        assert.ok(Math.abs(tok.logprob! - t.target!.logprob[p]!) < 1e-4);
        assert.equal(tok.rank, t.target!.rank[p]);
        assert.deepEqual(
          tok.alternatives!.map((a) => a.id),
          [...t.topk!.ids.subarray(p * 8, p * 8 + 3)],
        );
        // the stored rank says whether the actual token is the first alternative
        assert.equal(tok.rank === 0, tok.alternatives![0]!.id === tok.id);
      });
    });
    assert.equal(sequenceSamples(store, 'sst2-lm', { offset: ROWS, rows: 8 }).length, 1);
    assert.equal(sequenceSamples(store, 'sst2-lm', { offset: ROWS + 1, rows: 8 }).length, 0);

    // texts from the teacher's own tokenizer: the strip reads back as the decoded sequence
    const texts = tokenTexter((name) => (name === 'demo-lm' ? LM_DIR : undefined));
    assert.equal(await withTokenTexts(samples, 'demo-lm', texts), true);
    const tokenizer = await loadTokenizer(LM_DIR);
    for (const s of labelled) {
      const whole = tokenizer.decode(
        s.strip.map((x) => x.id),
        { skip_special_tokens: false, clean_up_tokenization_spaces: false },
      );
      assert.equal(s.strip.map((x) => x.text).join(''), whole);
    }
    assert.equal(await withTokenTexts(samples, 'not-configured', texts), false);
  });

  test('a finished dataset is read once; classifier datasets are not sequence datasets', async () => {
    const cache = new ReportCache(store);
    const a = await cache.getSequenceStats(store, 'sst2-lm');
    const b = await cache.getSequenceStats(store, 'sst2-lm');
    assert.equal(a, b);
    assert.deepEqual(a, buildSequenceStats(store, 'sst2-lm'));
    store.createDataset({ id: 'plain', name: 'plain' });
    assert.equal(isSequenceDataset(store, 'plain'), false);
    assert.throws(() => buildSequenceStats(store, 'sst2-lm', 'nobody'), /has no teacher "nobody"/);
  });
});

test("a causal-LM job's dataset (scope: response) reports its rows, refusals and response-only colours", async () => {
  const dir = tempDir('seq-report-job-');
  const registry = new TeacherRegistry([{ name: 'demo-lm', path: LM_DIR }], {
    modelsDir: path.join(REPO_ROOT, 'models'),
    allowRemote: false,
  });
  const store = openStore(path.join(dir, 'store.db'));
  try {
    const job = parseJob({
      dataset: 'chat',
      corpus: { path: path.join(REPO_ROOT, 'data/demo-chat.jsonl') },
      teachers: ['demo-lm'],
      sequence: { topK: 8, target: true, scope: 'response' },
    });
    assert.equal((await startJob(await resolveJob(job, { store, teachers: registry })).done).status, 'done');
    const counts = store.datasetSequences.counts('chat');
    const r = buildSequenceStats(store, 'chat');
    assert.equal(r.totals.sequences, counts.rows);
    assert.equal(r.totals.refused, counts.refused);
    assert.ok(counts.refused > 0, 'the demo chat corpus has refused rows');
    assert.equal(r.totals.labelled, counts.rows - counts.refused);
    assert.equal(r.teacher?.name, 'demo-lm');
    const samples = sequenceSamples(store, 'chat', { rows: counts.rows });
    const rows = [...store.datasetSequences.iterate('chat')];
    assert.deepEqual(
      samples.map((s) => [s.id, s.refused?.field]),
      rows.map((row) => [row.id, row.field]),
    );
    let coloured = 0;
    for (const s of samples.filter((x) => x.labelled)) {
      const scored = s.strip.filter((t) => t.logprob !== undefined).length;
      assert.ok(scored > 0 && scored < s.length, `${s.id}: only the response is scored`);
      coloured += scored;
    }
    assert.equal(coloured, r.totals.positions);
  } finally {
    await registry.close();
    store.close();
  }
});
