/**
 * Generation on the causal-LM fixtures: the same (prompt, params, rng stream) writes the same tokens
 * whatever the batch size, padding side or rerun; greedy decoding over the KV cache picks the argmax of a
 * full teacher-forced forward of the unmodified graph at every step, with its log-probs; rows stop at eos,
 * at a stop string and at max new tokens; bad parameters and prompts get errors naming their field.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { DistilleryError } from '../../src/core/errors.ts';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { CausalGenerator, type GenerateResult, type Generation } from '../../src/teacher/causal/causal-generator.ts';
import type { GenerationParams } from '../../src/core/generation-params.ts';
import { type GenerateInput, SequenceInputError } from '../../src/teacher/causal/sequence-input.ts';
import { loadTokenizer, transformers } from '../../src/teacher/hf-env.ts';
import { referenceLogits, referenceRow } from '../helpers/causal-reference.ts';

type HfGenerate = { generate(inputs: Record<string, unknown>): Promise<{ tolist(): bigint[][] }> };

const MODELS = path.resolve(import.meta.dirname, '../../models');

const PROMPTS: GenerateInput[] = [
  { prompt: 'what is the water like' },
  { prompt: 'say a word' },
  { prompt: 'the people could make a long boat from the old trees by the river' },
  { messages: [{ role: 'user', content: 'how many days' }] },
  { prompt: 'one' },
  { prompt: 'the old man went down to the river to see the boat' },
  {
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'where is the house' },
    ],
  },
  { prompt: 'I like the cold' },
  { prompt: 'it was a good day for' },
];

const SAMPLED: Partial<GenerationParams> = {
  maxNewTokens: 10,
  temperature: 0.9,
  topK: 40,
  topP: 0.95,
  repetitionPenalty: 1.3,
};

const requests = (seed: string, inputs: readonly GenerateInput[] = PROMPTS) => {
  const rng = new SeededRng(seed);
  return inputs.map((input, i) => ({ input, rng: rng.fork(`ex${i}#0`) }));
};

const ok = (r: GenerateResult | undefined): Generation => {
  assert.ok(r && !(r instanceof SequenceInputError), `unexpected error ${JSON.stringify(r)}`);
  return r;
};

/** what must not move between runs: the tokens, the text, why the row stopped */
const written = (rs: GenerateResult[]) =>
  rs.map((r) => ok(r)).map((g) => ({ ids: g.tokenIds, text: g.text, finish: g.finish }));

for (const name of ['tiny-llama-lm', 'tiny-gpt2-lm', 'demo-lm']) {
  describe(name, () => {
    let generator: CausalGenerator;
    let plain: ort.InferenceSession;
    before(async () => {
      generator = await CausalGenerator.load({ name, dir: path.join(MODELS, name) });
      plain = await ort.InferenceSession.create(path.join(MODELS, name, 'onnx', 'model.onnx'));
    });
    after(async () => {
      await generator.dispose();
      await plain.release();
    });

    test('the same rng streams write the same text for batch sizes 1, 3 and 8, either padding side, and on rerun', async () => {
      for (const params of [SAMPLED, { maxNewTokens: 10 }]) {
        const base = written(await generator.generate(requests('s1'), params, { batchSize: 8 }));
        assert.ok(
          base.some((g) => g.ids.length > 1),
          'some row writes more than one token',
        );
        for (const batchSize of [1, 3, 8])
          for (const paddingSide of ['left', 'right'] as const) {
            const again = written(await generator.generate(requests('s1'), params, { batchSize, paddingSide }));
            assert.deepEqual(again, base, `batchSize ${batchSize}, ${paddingSide} padding`);
          }
        // two calls at once share the queue: neither changes the other
        const [a, b] = await Promise.all([
          generator.generate(requests('s1'), params, { batchSize: 3 }),
          generator.generate(requests('s1').reverse(), params, { batchSize: 2 }),
        ]);
        assert.deepEqual(written(a), base);
        assert.deepEqual(written(b).reverse(), base);
      }
    });

    test('another seed samples other text; greedy decoding draws nothing from the stream', async () => {
      const one = written(await generator.generate(requests('s1'), SAMPLED));
      const two = written(await generator.generate(requests('s2'), SAMPLED));
      assert.notDeepEqual(one, two);
      const greedyOne = written(await generator.generate(requests('s1'), { maxNewTokens: 6 }));
      const greedyTwo = written(await generator.generate(requests('s2'), { maxNewTokens: 6 }));
      assert.deepEqual(greedyOne, greedyTwo);
    });

    test('greedy picks the argmax of a full teacher-forced forward at every step, with its log-prob', async () => {
      const results = (
        await generator.generate(requests('g'), { maxNewTokens: 8 }, { batchSize: 4, topLogprobs: 5 })
      ).map(ok);
      for (const g of results) {
        const ids = [...g.promptIds, ...g.tokenIds];
        const logits = await referenceLogits(plain, ids);
        g.tokenIds.forEach((id, s) => {
          const row = referenceRow(logits[g.promptIds.length - 1 + s]!, 1);
          assert.equal(id, row.order[0], `step ${s}`);
          assert.ok(Math.abs(g.logprobs[s]! - row.logp[id]!) < 1e-4, `step ${s}: ${g.logprobs[s]} vs ${row.logp[id]}`);
          // the step's distribution comes back too: the top 5 of the same forward
          const top = g.top![s]!;
          assert.deepEqual(top.ids, row.order.slice(0, 5), `step ${s} top ids`);
          top.ids.forEach((t, j) => assert.ok(Math.abs(top.logprobs[j]! - row.logp[t]!) < 1e-4, `step ${s} top ${j}`));
        });
        assert.equal(g.logprobs.length, g.tokenIds.length);
      }
      // without log-probs: the same tokens, none of the per-token log-sum-exps
      const bare = (await generator.generate(requests('g'), { maxNewTokens: 8 }, { logprobs: false })).map(ok);
      assert.deepEqual(
        bare.map((g) => g.tokenIds),
        results.map((g) => g.tokenIds),
      );
      assert.ok(bare.every((g) => g.logprobs.length === 0 && g.top === undefined));
    });

    test('greedy writes what transformers.js generate() writes, one prompt at a time, on the same export', async () => {
      const { AutoModelForCausalLM } = await transformers();
      const tokenizer = await loadTokenizer(path.join(MODELS, name));
      const model = await AutoModelForCausalLM.from_pretrained(path.join(MODELS, name), {
        local_files_only: true,
        dtype: 'fp32',
      } as never);
      try {
        const ours = (await generator.generate(requests('t'), { maxNewTokens: 8 })).map(ok);
        for (const [i, input] of PROMPTS.entries()) {
          if (!('prompt' in input)) continue;
          const encoded = tokenizer(input.prompt, { return_tensor: true }) as Record<string, unknown>;
          const out = (
            await (model as unknown as HfGenerate).generate({ ...encoded, max_new_tokens: 8, do_sample: false })
          ).tolist();
          const theirs = out[0]!.map(Number).slice(ours[i]!.promptIds.length);
          // transformers.js keeps writing eos ids after a row ends; ours stops at the first
          assert.deepEqual(ours[i]!.tokenIds, theirs.slice(0, ours[i]!.tokenIds.length), `prompt ${i}`);
        }
      } finally {
        await model.dispose();
      }
    });

    test('rows stop at max new tokens and at a stop string, independently of one another', async () => {
      const long = (await generator.generate(requests('m'), { maxNewTokens: 12 })).map(ok);
      const short = (await generator.generate(requests('m'), { maxNewTokens: 3 })).map(ok);
      short.forEach((g, i) => {
        const full = long[i]!;
        assert.deepEqual(g.tokenIds, full.tokenIds.slice(0, 3));
        assert.equal(g.finish, full.tokenIds.length <= 3 ? full.finish : 'length');
      });
      // a stop string taken from a row's own greedy text: that row ends where it first appears
      const row = long.findIndex((g) => g.text.trim().length >= 4);
      assert.ok(row >= 0, 'a row wrote four characters');
      const text = long[row]!.text;
      const stop = text.trim().slice(1, 3);
      const stopped = (await generator.generate(requests('m'), { maxNewTokens: 12, stop: [stop] })).map(ok);
      assert.equal(stopped[row]!.finish, 'stop');
      assert.equal(stopped[row]!.text, text.slice(0, text.indexOf(stop)));
      assert.deepEqual(stopped[row]!.tokenIds, long[row]!.tokenIds.slice(0, stopped[row]!.tokenIds.length));
      stopped.forEach((g, i) => {
        if (!long[i]!.text.includes(stop)) assert.deepEqual(g.tokenIds, long[i]!.tokenIds, `row ${i} has no stop`);
      });
    });

    test('a row that writes an eos ends there, without it in the text', async () => {
      const results = (await generator.generate(requests('e'), { ...SAMPLED, maxNewTokens: 40 })).map(ok);
      for (const g of results) {
        if (g.finish !== 'eos') continue;
        assert.ok(generator.eos.has(g.tokenIds.at(-1)!));
        assert.ok(g.tokenIds.slice(0, -1).every((id) => !generator.eos.has(id)));
      }
      if (name === 'demo-lm')
        assert.ok(
          results.some((g) => g.finish === 'eos'),
          'the demo LM ends some responses',
        );
    });

    test('bad parameters are refused naming the field; a bad prompt gets its error in place', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ temperature: -1 }, 'temperature'],
        [{ topP: 0 }, 'topP'],
        [{ topK: 1.5 }, 'topK'],
        [{ maxNewTokens: 0 }, 'maxNewTokens'],
        [{ repetitionPenalty: 0 }, 'repetitionPenalty'],
        [{ stop: ['ok', ''] }, 'stop[1]'],
        [{ temprature: 1 }, 'temprature'],
      ];
      for (const [params, field] of cases) {
        await assert.rejects(
          generator.generate(requests('x'), params as Partial<GenerationParams>),
          (err: unknown) =>
            err instanceof DistilleryError && err.code === 'INVALID_INPUT' && err.details?.field === field,
          field,
        );
      }
      await assert.rejects(
        generator.generate(requests('x'), {}, { topLogprobs: -1 }),
        (err: unknown) => err instanceof DistilleryError && err.details?.field === 'topLogprobs',
      );
      const inputs = [
        { prompt: '' },
        { prompt: 'fine' },
        { messages: [{ role: 'robot', content: 'hi' }] },
        { prompt: 'word '.repeat(600) },
      ] as GenerateInput[];
      const results = await generator.generate(requests('x', inputs), { maxNewTokens: 2 });
      assert.equal((results[0] as SequenceInputError).field, 'prompt');
      ok(results[1]);
      assert.equal((results[2] as SequenceInputError).field, 'messages[0].role');
      assert.match((results[3] as SequenceInputError).message, /no room in the context/);
    });
  });
}
