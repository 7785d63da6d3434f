/** A small store with one dataset labelled by a fake-but-real-shaped teacher output, for export tests. */
import { join } from 'node:path';
import type { Example, OutputSpec, TeacherInfo, TeacherOutput } from '../../src/core/types.ts';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import { inputHash, logSumExp, openStore, type Store } from '../../src/store/index.ts';

export const TEACHER: TeacherInfo = {
  name: 'fixture',
  fingerprint: 'sha256:fixture-teacher',
  task: 'text-classification',
  labels: ['NEGATIVE', 'POSITIVE'],
  device: 'cpu',
  dtype: 'fp32',
  maxLength: 32,
  hiddenLayers: 3,
  attentionLayers: 2,
};

export const FULL_SPEC: OutputSpec = {
  logits: true,
  temperatures: [1, 2],
  topK: 2,
  hidden: { layers: [2], pooling: 'cls' },
  encoding: 'fp16',
};

export const HIDDEN = 16;
export const HEADS = 2;

/** Deterministic outputs for one example: the same text always gives the same numbers. */
export function fixtureOutput(text: string, opts: { perToken?: boolean; attentions?: boolean } = {}): TeacherOutput {
  const rng = new SeededRng(text);
  const tokens = 2 + (text.length % 5);
  const logits = Float32Array.from([rng.next() * 8 - 4, rng.next() * 8 - 4]);
  const order = logits[0]! >= logits[1]! ? [0, 1] : [1, 0];
  const out: TeacherOutput = {
    logits,
    topK: [
      {
        ids: Int32Array.from(order),
        logits: Float32Array.from(order, (i) => logits[i]!),
        logSumExp: logSumExp(logits),
      },
    ],
    hidden: [
      {
        layer: 2,
        pooling: 'cls',
        value: { data: new Float32Array(HIDDEN).map(() => rng.next() * 2 - 1), shape: [HIDDEN] },
      },
    ],
    tokens,
    truncated: false,
  };
  if (opts.perToken) {
    out.hidden!.push({
      layer: 1,
      pooling: 'none',
      value: { data: new Float32Array(tokens * HIDDEN).map(() => rng.next()), shape: [tokens, HIDDEN] },
    });
  }
  if (opts.attentions) {
    out.attentions = [
      {
        layer: 0,
        value: {
          data: new Float32Array(HEADS * tokens * tokens).map(() => rng.next()),
          shape: [HEADS, tokens, tokens],
        },
      },
    ];
  }
  return out;
}

export function fixtureExamples(n: number): Example[] {
  return Array.from({ length: n }, (_, i): Example => {
    if (i % 5 === 4) {
      return {
        id: `aug-${i}`,
        text: `an augmented sentence number ${i}`,
        label: i % 2,
        origin: {
          kind: 'augmentation',
          parentId: `orig-${i - 1}`,
          ops: ['synonym', 'swap'],
          params: { p: 0.1 },
          seed: `s${i}`,
          changed: [1],
        },
      };
    }
    if (i % 7 === 3)
      return {
        id: `pair-${i}`,
        text: `premise ${i}`,
        textPair: `hypothesis ${i}`,
        label: i % 2,
        origin: { kind: 'original' },
      };
    return { id: `orig-${i}`, text: `a plain sentence ${i} — ünïcode`, label: i % 2, origin: { kind: 'original' } };
  });
}

/** Creates dataset `id` with n examples, all labelled except every `unlabelledEvery`-th. */
export function labelledStore(
  dir: string,
  id: string,
  n: number,
  opts: { spec?: OutputSpec; perToken?: boolean; attentions?: boolean; unlabelledEvery?: number } = {},
): Store {
  const store = openStore(join(dir, `${id}.db`), { now: () => new Date('2026-01-01T00:00:00Z') });
  const spec = opts.spec ?? FULL_SPEC;
  store.registerTeacher(TEACHER);
  store.createDataset({ id });
  const examples = fixtureExamples(n);
  store.addExamples(id, examples);
  store.linkTeacher(id, TEACHER.fingerprint, spec);
  const labelled = examples.filter(
    (_, i) => !opts.unlabelledEvery || i % opts.unlabelledEvery !== opts.unlabelledEvery - 1,
  );
  store.putOutputs(
    TEACHER.fingerprint,
    labelled.map((e) => ({ inputHash: inputHash(e), output: fixtureOutput(e.text, opts) })),
    spec,
  );
  return store;
}
