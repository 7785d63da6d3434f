import { SeededRng } from './src/core/seeded-rng.ts';
import { sharedWordNet } from './src/augment/lexicon/wordnet-index.ts';
import { InsertOp } from './src/augment/ops/insert-op.ts';
import { SynonymOp } from './src/augment/ops/synonym-op.ts';
import { TokenizedText } from './src/augment/text/tokenized-text.ts';
import { sst2Dev } from './test/augment/helpers.ts';
const wn = sharedWordNet();
const texts = sst2Dev().map(e => e.text);
const ops = [new InsertOp({alpha:0.1}), new SynonymOp({alpha:0.1, posAware:false})];
const rng = new SeededRng(1);
for (const op of ops) {
  for (let r = 0; r < 3; r++) { const t = performance.now(); for (let k = 0; k < 10; k++) for (let i = 0; i < texts.length; i++) op.applyOne({ key: 'b' + i, text: TokenizedText.parse(texts[i]!) }, rng.fork('b' + i)); console.log(op.name, Math.round(10 * texts.length / ((performance.now() - t) / 1000))); }
}
{ const t = performance.now(); for (let k = 0; k < 10; k++) for (let i = 0; i < texts.length; i++) rng.fork('b' + i); console.log('fork', Math.round(10 * texts.length / ((performance.now() - t) / 1000))); }
{ const t = performance.now(); for (let k = 0; k < 10; k++) for (let i = 0; i < texts.length; i++) TokenizedText.parse(texts[i]!); console.log('parse', Math.round(10 * texts.length / ((performance.now() - t) / 1000))); }
