/**
 * Generation throughput, written tokens/s, greedy, on prompts made from SST-2 dev sentences:
 *   hf        transformers.js model.generate(), one prompt at a time (its own KV-cache loop): the baseline
 *   one       CausalGenerator, batch size 1 (the same engine, no batching)
 *   batch-N   CausalGenerator, N prompts decoded together (left padding, finished rows leave the cache)
 *   MODE+lp   the same, also returning each written token's log-prob (a full-vocabulary log-sum-exp per token)
 * Every mode writes the same tokens (checked: greedy is batch-invariant and matches transformers.js), so
 * only the time differs. Modes run one after another in one process, each twice, the second pass timed.
 * The model is a Llama-shaped random graph from the fixture builder.
 *
 *   npx tsx bench/generate.ts [--vocab 8192] [--hidden 256] [--layers 4] [--limit 32] [--new 24] [--modes hf,one,batch-8,batch-32]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SeededRng } from '../src/core/seeded-rng.ts';
import { writeCausal } from '../src/fixtures/causal/build.ts';
import { CausalGenerator, type Generation } from '../src/teacher/causal/causal-generator.ts';
import { loadTokenizer, transformers } from '../src/teacher/hf-env.ts';
import { REPO_ROOT, sst2Dev } from './corpus.ts';

const { values } = parseArgs({
  options: {
    vocab: { type: 'string', default: '8192' },
    hidden: { type: 'string', default: '256' },
    layers: { type: 'string', default: '4' },
    limit: { type: 'string', default: '32' },
    new: { type: 'string', default: '24' },
    modes: { type: 'string', default: 'hf,one,batch-8,batch-32' },
  },
});

const modelName = `bench-llama-v${values.vocab}-h${values.hidden}-l${values.layers}`;
const modelDir = path.join(REPO_ROOT, 'bench/models', modelName);
const maxNewTokens = Number(values.new);
const prompts = sst2Dev()
  .slice(0, Number(values.limit))
  .map((r) => r.text);

type HfModel = {
  generate(inputs: Record<string, unknown>): Promise<{ tolist(): bigint[][] }>;
  dispose(): Promise<unknown>;
};

/** Each prompt's written tokens (up to and including the first eos) and the seconds the second pass took. */
async function runMode(mode: string, generator: CausalGenerator): Promise<{ tokens: number[][]; seconds: number }> {
  let pass: () => Promise<number[][]>;
  let close = async () => {};
  if (mode === 'hf') {
    const { AutoModelForCausalLM } = await transformers();
    const tokenizer = await loadTokenizer(modelDir);
    const model = (await AutoModelForCausalLM.from_pretrained(modelDir, {
      local_files_only: true,
      dtype: 'fp32',
    } as never)) as unknown as HfModel;
    close = async () => void (await model.dispose());
    pass = async () => {
      const out: number[][] = [];
      for (const prompt of prompts) {
        const encoded = tokenizer(prompt, { return_tensor: true }) as Record<string, unknown>;
        const prefix = tokenizer.encode(prompt).length;
        const ids = (await model.generate({ ...encoded, max_new_tokens: maxNewTokens, do_sample: false }))
          .tolist()[0]!
          .map(Number)
          .slice(prefix);
        const end = ids.findIndex((id) => generator.eos.has(id));
        out.push(end < 0 ? ids : ids.slice(0, end + 1));
      }
      return out;
    };
  } else {
    // `+lp`: also each token's log-prob (transformers.js computes none)
    const logprobs = mode.endsWith('+lp');
    const base = mode.replace('+lp', '');
    const batchSize = base === 'one' ? 1 : Number(base.replace('batch-', ''));
    pass = async () => {
      const rng = new SeededRng('bench');
      const results = await generator.generate(
        prompts.map((prompt, i) => ({ input: { prompt }, rng: rng.fork(i) })),
        { maxNewTokens },
        { batchSize, logprobs },
      );
      return results.map((r) => (r as Generation).tokenIds);
    };
  }
  await pass();
  const start = performance.now();
  const tokens = await pass();
  const seconds = (performance.now() - start) / 1000;
  await close();
  return { tokens, seconds };
}

async function main(): Promise<void> {
  if (!existsSync(modelDir)) {
    const hidden = Number(values.hidden);
    await writeCausal(path.dirname(modelDir), modelName, 'llama', 'llama3', {
      vocabSize: Number(values.vocab),
      hidden,
      layers: Number(values.layers),
      heads: 4,
      kvHeads: 2,
      intermediate: hidden * 2,
    });
  }
  const generator = await CausalGenerator.load({ name: 'bench', dir: modelDir });
  console.log(`model ${modelName}: ${prompts.length} prompts, ${maxNewTokens} new tokens at most, greedy`);
  console.log('| mode | written tokens/s | seconds | tokens | vs hf | vs one | same tokens as first mode |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  const rates = new Map<string, number>();
  let first: number[][] | undefined;
  try {
    for (const mode of values.modes!.split(',')) {
      const { tokens, seconds } = await runMode(mode, generator);
      const written = tokens.reduce((n, t) => n + t.length, 0);
      const rate = written / seconds;
      rates.set(mode, rate);
      first ??= tokens;
      const vs = (base: string) => (rates.has(base) ? `${(rate / rates.get(base)!).toFixed(2)}x` : '-');
      const same = JSON.stringify(tokens) === JSON.stringify(first) ? 'yes' : 'NO';
      console.log(
        `| ${mode} | ${rate.toFixed(0)} | ${seconds.toFixed(2)} | ${written} | ${vs('hf')} | ${vs('one')} | ${same} |`,
      );
    }
  } finally {
    await generator.dispose();
  }
}

await main();
