/**
 * A generation's recorded per-token targets (decode-recorder.ts over the KV-cache decode) against a fresh
 * teacher-forced forward of the same tokens (CausalTeacher), on the tiny fixtures and demo-lm: within
 * the store's quantization (|Δ log-prob| <= 1/64 nat), the same top-k ids except ties, the same ranks
 * except ties, the same seeded samples; for batch sizes 1 and 8, either padding side, greedy and sampled,
 * T = 1 and T = 2. Then what cannot be recorded exactly is refused (recordedTargets undefined).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GenerationParams } from '../../src/core/generation-params.ts';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../../src/core/sequence-types.ts';
import { CausalGenerator, type Generation } from '../../src/teacher/causal/causal-generator.ts';
import { CausalTeacher } from '../../src/teacher/causal/causal-teacher.ts';
import type { RecordOptions } from '../../src/teacher/causal/decode-recorder.ts';
import { recordedTargets } from '../../src/teacher/causal/recorded-targets.ts';
import { type EncodedSequence, SequenceInputError } from '../../src/teacher/causal/sequence-input.ts';
import { DEFAULT_SEQUENCE_OPTIONS } from '../../src/teacher/causal/sequence-input.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MODELS = path.resolve(import.meta.dirname, '../../models');
const graphCacheDir = tempDir('recording-graphs-');
const TOLERANCE = 1 / 64;
const TIE = 1e-5;

const PROMPTS = [
  'what is the water like',
  'say a word',
  'the people could make a long boat from the old trees by the river',
  'one',
  'the old man went down to the river to see the boat',
  'I like the cold',
  'it was a good day for',
  'Q: Write a short review of a film you liked.\nA:',
];

const SAMPLED: Partial<GenerationParams> = { maxNewTokens: 10, temperature: 0.9, topP: 0.95, repetitionPenalty: 1.3 };

function near(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= TOLERANCE, `${what}: ${a} vs ${b}`);
}

/** Recorded vs teacher-forced targets of one row. */
function agree(rec: SequenceTargets, tf: SequenceTargets, spec: SequenceOutputSpec, label: string): void {
  assert.deepEqual([...rec.positions], [...tf.positions], `${label}: scored positions`);
  rec.lse.forEach((v, r) => near(v, tf.lse[r]!, `${label} lse[${r}]`));
  const k = spec.topK!;
  const a = rec.topk!;
  const b = tf.topk!;
  for (let j = 0; j < a.logprobs.length; j++) {
    near(a.logprobs[j]!, b.logprobs[j]!, `${label} top-k log-prob ${j}`);
    if (a.ids[j] === b.ids[j]) continue;
    // a swap is allowed only between entries the forward itself cannot tell apart
    const r = Math.floor(j / k);
    const tied = [j - 1, j + 1].some(
      (o) => Math.floor(o / k) === r && o >= 0 && Math.abs(b.logprobs[o]! - b.logprobs[j]!) <= TIE,
    );
    assert.ok(tied, `${label}: top-k id ${j} is ${a.ids[j]} recorded, ${b.ids[j]} teacher-forced, not a tie`);
  }
  a.tailMass.forEach((v, r) => near(v, b.tailMass[r]!, `${label} tail mass[${r}]`));
  const t = rec.target!;
  t.logprob.forEach((v, r) => near(v, tf.target!.logprob[r]!, `${label} target log-prob[${r}]`));
  t.entropy.forEach((v, r) => near(v, tf.target!.entropy[r]!, `${label} entropy[${r}]`));
  t.rank.forEach((v, r) => {
    // a rank may differ only by ids tied with the target, which a 1e-5 window bounds loosely
    if (v !== tf.target!.rank[r]) assert.ok(Math.abs(v - tf.target!.rank[r]!) <= 1, `${label} rank[${r}]`);
  });
  assert.deepEqual([...rec.samples!.offsets], [...tf.samples!.offsets].slice(0, rec.samples!.offsets.length));
}

for (const name of ['tiny-llama-lm', 'tiny-gpt2-lm', 'demo-lm']) {
  describe(name, () => {
    let teacher: CausalTeacher;
    let generator: CausalGenerator;
    before(async () => {
      const dir = path.join(MODELS, name);
      teacher = await CausalTeacher.load({ name, dir, graphCacheDir });
      generator = await CausalGenerator.load({ name, dir, graphCacheDir });
    });
    after(async () => {
      await teacher.dispose();
      await generator.dispose();
    });

    const recordOf = (spec: SequenceOutputSpec): RecordOptions => ({
      temperature: spec.temperature,
      support: teacher.support(spec),
      alternative: teacher.encoder.eosId ?? -1,
      tail: true,
    });

    async function generate(params: Partial<GenerationParams>, spec: SequenceOutputSpec, batchSize: number) {
      const rng = new SeededRng(`rec-${name}`);
      const results = await generator.generate(
        PROMPTS.map((p, i) => ({ input: { prompt: p }, rng: rng.fork(i) })),
        params,
        { batchSize, paddingSide: batchSize === 1 ? 'right' : 'left', logprobs: false, record: recordOf(spec) },
      );
      return results.map((r) => {
        if (r instanceof SequenceInputError) assert.fail(`${r.field}: ${r.message}`);
        return r;
      });
    }

    const encode = (prompt: string, g: Generation): EncodedSequence | SequenceInputError =>
      teacher.encode([{ prompt, response: g.text }], DEFAULT_SEQUENCE_OPTIONS)[0]!;

    test('the recording of every written row agrees with a fresh teacher-forced forward', async () => {
      assert.equal(generator.fingerprint, teacher.info.fingerprint);
      assert.ok(generator.recordable);
      let compared = 0;
      for (const [params, spec] of [
        [SAMPLED, { temperature: 1, topK: 8, samples: { draws: 32 }, target: true }],
        [{ maxNewTokens: 8 }, { temperature: 2, topK: 5, samples: { draws: 8 }, target: true }],
      ] as [Partial<GenerationParams>, SequenceOutputSpec][]) {
        const finishes = new Set<string>();
        for (const batchSize of [1, 8]) {
          const generations = await generate(params, spec, batchSize);
          for (const [i, g] of generations.entries()) {
            finishes.add(g.finish);
            const enc = encode(PROMPTS[i]!, g);
            if (enc instanceof SequenceInputError) continue; // an empty response: refused either way
            const rec = recordedTargets(g.recording!, enc, spec, `row${i}`);
            if (!rec) continue; // a re-tokenization that differs: labelled teacher-forced (the job test)
            const [tf] = await teacher.scoreEncoded([enc], spec, { seeds: [`row${i}`] });
            assert.ok(tf && !(tf instanceof SequenceInputError));
            agree(rec, tf, spec, `${JSON.stringify(params)} batch ${batchSize} row ${i}`);
            compared++;
          }
        }
        // both the eos case and the appended-eos tail step were exercised
        assert.ok(finishes.has('length'), [...finishes].join());
      }
      assert.ok(compared >= PROMPTS.length, `${compared} rows compared`);
    });

    test('what a recording cannot give exactly is refused, not guessed', async () => {
      const spec: SequenceOutputSpec = { temperature: 1, topK: 4, target: true };
      const generations = await generate({ maxNewTokens: 6 }, spec, 8);
      const i = generations.findIndex((g, i) => {
        const e = encode(PROMPTS[i]!, g);
        return !(e instanceof SequenceInputError) && recordedTargets(g.recording!, e, spec, 's') !== undefined;
      });
      assert.ok(i >= 0, 'some row is recordable');
      const g = generations[i];
      const enc = encode(PROMPTS[i]!, g!);
      assert.ok(!(enc instanceof SequenceInputError));
      // hidden states: the decode head has none
      assert.equal(recordedTargets(g!.recording!, enc, { ...spec, hidden: true }, 's'), undefined);
      // every token scored (scope all): prompt positions were never decoded
      const all = teacher.encode([{ prompt: PROMPTS[i]!, response: g!.text }], {
        ...DEFAULT_SEQUENCE_OPTIONS,
        scope: 'all',
      })[0]!;
      assert.ok(!(all instanceof SequenceInputError));
      assert.equal(recordedTargets(g!.recording!, all, spec, 's'), undefined);
      // another response: its tokens are not the ones written
      const other = teacher.encode(
        [{ prompt: PROMPTS[i]!, response: `${g!.text} and more` }],
        DEFAULT_SEQUENCE_OPTIONS,
      )[0]!;
      assert.ok(!(other instanceof SequenceInputError));
      assert.equal(recordedTargets(g!.recording!, other, spec, 's'), undefined);
      // no appended eos after a length stop without the tail step's alternative
      const noAlt = { ...g!.recording!, alternative: -1 };
      if (g!.finish === 'length') assert.equal(recordedTargets(noAlt, enc, spec, 's'), undefined);
    });
  });
}
