/**
 * The text-generation teacher on the tiny causal-LM fixtures: rows predict the next token, values match
 * JavaScript on the unmodified graph's full logits, batching and padding side change nothing, samples
 * are seeded per example, and bad rows get an error naming their field.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { SequenceTargets } from '../../src/core/sequence-types.ts';
import { CausalTeacher, type ScoreResult } from '../../src/teacher/causal/causal-teacher.ts';
import { TeacherRegistry } from '../../src/teacher/registry.ts';
import { SequenceInputError, type SequenceInput } from '../../src/teacher/causal/sequence-input.ts';
import { referenceLogits, referenceRow } from '../helpers/causal-reference.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { decodeFloat16 } from '../../src/core/float16.ts';
import { parseOnnxModel } from '../../src/teacher/onnx/onnx-graph.ts';
import { fieldString, readFields } from '../../src/teacher/onnx/protobuf-reader.ts';
import { loadTokenizer } from '../../src/teacher/hf-env.ts';

const MODELS = path.resolve(import.meta.dirname, '../../models');
const SPEC = { temperature: 1, topK: 8, samples: { draws: 32 }, target: true, hidden: true };

const ROWS: SequenceInput[] = [
  { prompt: 'what is the water like', response: ' it is cold and clear' },
  { prompt: 'say a word', response: ' yes' },
  { text: 'the people could make a long boat from the old trees by the river' },
  {
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'how many days' },
      { role: 'assistant', content: 'two days' },
    ],
  },
  { prompt: 'one', response: ' two three four five six seven eight nine ten eleven twelve' },
  { text: 'hello world' },
];

const ok = (r: ScoreResult): SequenceTargets => {
  assert.ok(!(r instanceof SequenceInputError), `unexpected error ${JSON.stringify(r)}`);
  return r;
};

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const name of ['tiny-llama-lm', 'tiny-gpt2-lm']) {
  describe(name, () => {
    let teacher: CausalTeacher;
    before(async () => {
      // no padding-waste limit: the rows below go into one padded batch
      teacher = await CausalTeacher.load({
        name,
        dir: path.join(MODELS, name),
        graphCacheDir: tempDir('graphs-'),
        limits: { maxPaddingWaste: 1 },
      });
    });
    after(() => teacher.dispose());

    test('is a text-generation teacher with its vocabulary, context and chat template', () => {
      assert.equal(teacher.info.task, 'text-generation');
      assert.equal(teacher.info.maxLength, 256);
      assert.equal(teacher.info.chatTemplate, true);
      assert.ok(teacher.info.vocabSize > 400);
      assert.equal(teacher.graph.past.length, 4);
      assert.equal(teacher.graph.numLogitsToKeep, name === 'tiny-llama-lm');
    });

    test('row t is the distribution of token t+1, equal to JavaScript on the full logits', async () => {
      const [result] = await teacher.score([{ input: ROWS[0]! }], SPEC);
      const r = ok(result!);
      const plain = await ort.InferenceSession.create(path.join(MODELS, name, 'onnx', 'model.onnx'));
      const logits = await referenceLogits(plain, Array.from(r.tokenIds));
      await plain.release();
      const prompt = teacher.encode([{ text: 'what is the water like' }])[0] as { ids: number[] };
      // response targets only: the first scored row is the prompt's last position
      assert.equal(r.positions[0], prompt.ids.length - 1);
      assert.equal(r.positions.at(-1), r.tokenIds.length - 2);
      assert.equal(r.tokenIds.at(-1), teacher.encoder.eosId);
      r.positions.forEach((t, row) => {
        const ref = referenceRow(logits[t]!, 1);
        assert.ok(Math.abs(r.lse[row]! - ref.lse) < 1e-4);
        assert.ok(Math.abs(r.target!.logprob[row]! - ref.logp[r.tokenIds[t + 1]!]!) < 1e-4);
        assert.ok(Math.abs(r.target!.entropy[row]! - ref.entropy) < 1e-4);
        for (let j = 0; j < 8; j++) {
          assert.ok(Math.abs(r.topk!.logprobs[row * 8 + j]! - ref.logp[ref.order[j]!]!) < 1e-4);
        }
        const mass = ref.order.slice(0, 8).reduce((s, id) => s + Math.exp(ref.logp[id]!), 0);
        assert.ok(Math.abs(r.topk!.tailMass[row]! - (1 - mass)) < 1e-5);
      });
      assert.equal(r.hidden!.size, 32);
      assert.equal(r.hidden!.data.length, r.positions.length * 32);
    });

    test('outputs are the same at any batch size and padding side (1e-4), samples identical', async () => {
      const requests = ROWS.map((input, i) => ({ input, seed: `example-${i}` }));
      const alone: ScoreResult[] = [];
      for (const r of requests) alone.push(...(await teacher.score([r], SPEC)));
      const lengths = teacher.encode(ROWS).map((e) => (e as { ids: number[] }).ids.length);
      assert.ok(Math.min(...lengths) * 3 < Math.max(...lengths), 'lengths differ enough to pad');
      for (const paddingSide of ['right', 'left'] as const) {
        const together = await teacher.score(requests, SPEC, { paddingSide });
        together.forEach((res, i) => {
          const a = ok(alone[i]!);
          const b = ok(res);
          assert.deepEqual(b.positions, a.positions);
          assert.ok(maxDiff(b.topk!.logprobs, a.topk!.logprobs) <= 1e-4, `${paddingSide} row ${i} top-k`);
          assert.ok(maxDiff(b.lse, a.lse) <= 1e-4);
          assert.ok(maxDiff(b.target!.logprob, a.target!.logprob) <= 1e-4);
          assert.deepEqual(b.samples, a.samples);
        });
      }
    });

    test('samples: draws per row add up, a seed reproduces them, another seed changes them', async () => {
      const input = ROWS[2]!;
      const [a, b, c] = (
        await teacher.score(
          [
            { input, seed: 's1' },
            { input, seed: 's1' },
            { input, seed: 's2' },
          ],
          { temperature: 1, samples: { draws: 12 } },
        )
      ).map(ok);
      const s = a!.samples!;
      for (let p = 0; p < a!.positions.length; p++) {
        let sum = 0;
        for (let j = s.offsets[p]!; j < s.offsets[p + 1]!; j++) sum += s.counts[j]!;
        assert.equal(sum, 12);
      }
      assert.deepEqual(b!.samples, s);
      assert.notDeepEqual(c!.samples!.ids, s.ids);
      assert.equal(a!.topk, undefined);
    });

    test('every bad input gets an error naming its field; good rows beside it are scored', async () => {
      const bad: [SequenceInput, string][] = [
        [{ prompt: '', response: 'x' }, 'prompt'],
        [{ prompt: 'x', response: '  ' }, 'response'],
        [{ messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
        [{ messages: [] }, 'messages'],
        [{ messages: [{ role: 'user', content: 'only a question' }] }, 'messages'],
        [{ text: 'word '.repeat(300) }, 'text'],
        [{ foo: 1 } as unknown as SequenceInput, 'input'],
      ];
      const results = await teacher.score([...bad.map(([input]) => ({ input })), { input: ROWS[1]! }], {
        temperature: 1,
        target: true,
      });
      bad.forEach(([, field], i) => {
        const e = results[i];
        assert.ok(e instanceof SequenceInputError, `row ${i} should fail`);
        assert.equal(e.field, field, e.message);
      });
      ok(results.at(-1)!);
      await assert.rejects(teacher.score([{ input: ROWS[1]! }], { temperature: 1, topK: 100_000 }), /topK: must be/);
      await assert.rejects(teacher.score([{ input: ROWS[1]! }], { temperature: 0 }), /temperature/);
    });
  });
}

describe('inputs and options (tiny-llama-lm)', () => {
  let teacher: CausalTeacher;
  before(async () => {
    teacher = await CausalTeacher.load({
      name: 'llama',
      dir: path.join(MODELS, 'tiny-llama-lm'),
      maxLength: 24,
      graphCacheDir: tempDir('graphs-'),
    });
  });
  after(() => teacher.dispose());

  test('messages: only assistant content (and its end token) are targets; masked roles stay out under scope all', async () => {
    const tokenizer = await loadTokenizer(path.join(MODELS, 'tiny-llama-lm'));
    const chat: SequenceInput = {
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'yes' },
        { role: 'tool', content: 'no' },
      ],
    };
    const pick = (e: { ids: number[]; targets: Uint8Array }, want: number) =>
      tokenizer.decode(
        e.ids.filter((_, i) => i > 0 && e.targets[i] === want),
        { skip_special_tokens: false },
      );
    const response = teacher.encode([chat], { overflow: 'left' })[0] as { ids: number[]; targets: Uint8Array };
    assert.equal(pick(response, 1), 'yes<|eot_id|>');
    const all = teacher.encode([chat], { scope: 'all', maskRoles: ['tool'], overflow: 'left' })[0] as {
      ids: number[];
      targets: Uint8Array;
    };
    assert.equal(pick(all, 0), '<|start_header_id|>tool<|end_header_id|>\n\nno<|eot_id|>');
  });

  test('over-long rows: refused by default, truncated from the chosen side with the flag', () => {
    const row: SequenceInput = {
      prompt: 'the first words',
      response: ' then many more words that run past the context',
    };
    const [refused] = teacher.encode([row]);
    assert.ok(refused instanceof SequenceInputError && refused.field === 'response', String(refused));
    assert.match(refused.message, /exceed the context of 24/);
    const left = teacher.encode([row], { overflow: 'left' })[0] as { ids: number[]; truncated: boolean };
    const right = teacher.encode([row], { overflow: 'right' })[0] as { ids: number[]; truncated: boolean };
    const bos = teacher.encode([{ text: 'x y' }])[0] as { ids: number[] };
    for (const e of [left, right]) {
      assert.equal(e.ids.length, 24);
      assert.equal(e.truncated, true);
    }
    assert.equal(right.ids[0], bos.ids[0], 'right truncation keeps the start');
    assert.notEqual(left.ids[0], bos.ids[0]);
    assert.equal(left.ids.at(-1), teacher.encoder.eosId, 'left truncation keeps the end');
  });
});

test('the registry detects a causal LM from config.json: getCausal loads it, get() says what it is', async () => {
  const registry = new TeacherRegistry([{ name: 'lm', path: 'tiny-gpt2-lm' }], {
    modelsDir: MODELS,
    allowRemote: false,
  });
  const teacher = await registry.getCausal('lm');
  assert.equal(teacher.info.task, 'text-generation');
  assert.equal(await registry.getCausal('lm'), teacher, 'loaded once');
  await assert.rejects(registry.get('lm'), /causal LM \(task text-generation\)/);
  await registry.close();
  await assert.rejects(teacher.score([{ input: ROWS[1]! }], { temperature: 1 }), /was closed/);
});

test('hidden: the fp16 head input of each scored row, which times the head weights gives the row logits', async () => {
  const dir = path.join(MODELS, 'tiny-llama-lm');
  const teacher = await CausalTeacher.load({ name: 'lm', dir, graphCacheDir: tempDir('graphs-') });
  const [result] = await teacher.score([{ input: ROWS[0]! }], { temperature: 1, hidden: true });
  await teacher.dispose();
  const r = ok(result!);
  const model = readFileSync(path.join(dir, 'onnx', 'model.onnx'));
  const { graphFields } = parseOnnxModel(model);
  const head = graphFields
    .filter((f) => f.field === 5)
    .map((f) => readFields(f.data!))
    .find((t) => fieldString(t.find((x) => x.field === 8)!) === 'lm_head')!;
  const raw = head.find((x) => x.field === 9)!.data!;
  const W = new Float32Array(Uint8Array.from(raw).buffer);
  const D = r.hidden!.size;
  const V = W.length / D;
  const plain = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'));
  const logits = await referenceLogits(plain, Array.from(r.tokenIds));
  await plain.release();
  const h = decodeFloat16(r.hidden!.data);
  r.positions.forEach((t, row) => {
    let worst = 0;
    for (let v = 0; v < V; v++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += h[row * D + d]! * W[d * V + v]!;
      worst = Math.max(worst, Math.abs(dot - logits[t]![v]!));
    }
    assert.ok(worst < 0.05, `row ${row}: fp16 hidden reproduces the logits within ${worst}`);
  });
});

test('samples follow the teacher distribution: counts/draws match exp(log-prob) within 4 sigma', async () => {
  // support >= vocabulary: the draws are exact, not restricted to a top-M
  const teacher = await CausalTeacher.load({
    name: 'lm',
    dir: path.join(MODELS, 'tiny-gpt2-lm'),
    graphCacheDir: tempDir('graphs-'),
    sampleSupport: 1000,
  });
  const draws = 20_000;
  const [result] = await teacher.score([{ input: { text: 'the water' }, seed: 'stat' }], {
    temperature: 0.5,
    topK: 5,
    samples: { draws },
  });
  await teacher.dispose();
  const r = ok(result!);
  const s = r.samples!;
  for (let row = 0; row < r.positions.length; row++) {
    const counts = new Map<number, number>();
    for (let j = s.offsets[row]!; j < s.offsets[row + 1]!; j++) counts.set(s.ids[j]!, s.counts[j]!);
    for (let j = 0; j < 5; j++) {
      const p = Math.exp(r.topk!.logprobs[row * 5 + j]!);
      const got = (counts.get(r.topk!.ids[row * 5 + j]!) ?? 0) / draws;
      const sigma = Math.sqrt((p * (1 - p)) / draws);
      assert.ok(Math.abs(got - p) <= 4 * sigma + 1e-9, `row ${row} top-${j}: ${got} vs ${p}`);
    }
  }
});
