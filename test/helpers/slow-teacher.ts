/**
 * A random BERT-shaped classifier big enough that one batch takes a measurable time on a CPU
 * (hundreds of ms), small enough to build in a test (about 10 MB, under a second).
 */
import path from 'node:path';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { buildBertGraph } from '../../src/fixtures/bert/bert-graph.ts';
import type { BertSpec } from '../../src/fixtures/bert/bert-spec.ts';
import { randomBertWeights } from '../../src/fixtures/bert/bert-weights.ts';
import { COMMON_WORDS } from '../../src/fixtures/bert/common-words.ts';
import { buildVocab } from '../../src/fixtures/bert/wordpiece-vocab.ts';
import { writeBertModelDir } from '../../src/fixtures/hf-files.ts';
import { writeModelFile } from '../../src/teacher/onnx/graph-builder.ts';

export const SLOW_SPEC: BertSpec = {
  vocabSize: 0,
  hidden: 256,
  layers: 4,
  heads: 4,
  intermediate: 1024,
  maxPositions: 512,
  typeVocabSize: 2,
  head: 'classifier',
  labels: ['NEGATIVE', 'POSITIVE'],
  layerNormEps: 1e-12,
};

/** Writes DIR/slow-bert/ and returns its path. */
export function buildSlowTeacher(dir: string): string {
  const vocab = buildVocab(COMMON_WORDS);
  const spec = { ...SLOW_SPEC, vocabSize: vocab.length };
  const out = path.join(dir, 'slow-bert');
  writeBertModelDir(out, { spec, vocab, onnx: {} });
  writeModelFile(
    path.join(out, 'onnx/model.onnx'),
    buildBertGraph(spec, randomBertWeights(spec, new SeededRng('slow-bert'), 0.035), {
      outputs: 'logits-only',
      quantize: false,
    }),
  );
  return out;
}

/** n distinct texts of about `words` words each (a counter keeps them out of any cache). */
export function longTexts(n: number, words: number): string[] {
  const pool = [
    'the',
    'movie',
    'was',
    'good',
    'but',
    'plot',
    'thin',
    'and',
    'acting',
    'wonderful',
    'score',
    'lovely',
    'bad',
    'time',
  ];
  return Array.from(
    { length: n },
    (_, i) => `${i} ` + Array.from({ length: words }, (_, w) => pool[(i * 7 + w * 3) % pool.length]).join(' '),
  );
}
