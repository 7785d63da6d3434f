/**
 * `distillery eval`: run a teacher over a labelled corpus and measure it, streaming the corpus in batches
 * and keeping only one logits row per example. Given a cache (the store), it labels cache-first like any
 * other labelling and leaves the logits there, so a later run on the same corpus computes nothing again.
 */
import { DistilleryError } from '../core/errors.ts';
import type { OutputSpec, TeacherRunner, TextInput } from '../core/types.ts';
import { readCorpus, type CorpusOptions } from '../jobs/index.ts';
import { labelInputs, tokenBudgetBatches, type LabelCache } from '../labels/index.ts';
import {
  accuracy,
  argmax,
  calibration,
  macroF1,
  softmax,
  temperatureSweep,
  type ClassScore,
  type ReliabilityBin,
  type TemperaturePoint,
} from '../core/metrics.ts';

export interface EvalReport {
  teacher: { name: string; fingerprint: string; labels: string[] };
  examples: number;
  /** records without a gold label (not scored) */
  unlabelled: number;
  accuracy: number;
  macroF1: number;
  perClass: (ClassScore & { name: string })[];
  ece: number;
  reliability: ReliabilityBin[];
  temperatures: TemperaturePoint[];
}

/** Gold labels may be class indices (SST-2's 0/1) or label names (TREC's "NUM"), matched case-insensitively. */
export function goldIndex(label: string | number, labels: readonly string[], line: number): number {
  if (typeof label === 'number') {
    if (Number.isInteger(label) && label >= 0 && label < labels.length) return label;
  } else {
    const i = labels.findIndex((l) => l.toLowerCase() === label.toLowerCase());
    if (i >= 0) return i;
  }
  throw new DistilleryError(
    'INVALID_INPUT',
    `line ${line}: gold label ${JSON.stringify(label)} is not one of the teacher's labels (${labels.join(', ')}) nor an index into them`,
    {
      hint: 'check --label-column, or evaluate with a teacher trained on these labels',
    },
  );
}

/** What evaluation needs of the store: label cache-first, then read the logits back. */
export type EvalCache = LabelCache;

// fp32 logits: they serve any later request for logits at any encoding
const EVAL_SPEC: OutputSpec = { logits: true, temperatures: [], encoding: 'fp32' };

export async function evaluateTeacher(
  teacher: TeacherRunner,
  corpus: CorpusOptions,
  opts: { bins?: number; temperatures?: number[]; tokenBudget?: number; signal?: AbortSignal; cache?: EvalCache } = {},
): Promise<EvalReport> {
  const { labels } = teacher.info;
  if (teacher.info.task !== 'text-classification') {
    throw new DistilleryError('INVALID_INPUT', `teacher ${teacher.info.name} is a ${teacher.info.task} model`, {
      hint: 'eval needs a text-classification teacher',
    });
  }
  const logits: Float32Array[] = [];
  const gold: number[] = [];
  let unlabelled = 0;
  let pending: (TextInput & { gold: number })[] = [];
  const keep = (o: { logits?: Float32Array } | undefined, goldLabel: number) => {
    if (!o?.logits) throw new DistilleryError('UNSUPPORTED_OUTPUT', `teacher ${teacher.info.name} returned no logits`);
    logits.push(o.logits);
    gold.push(goldLabel);
  };
  const textOf = (b: TextInput): TextInput =>
    b.textPair === undefined ? { text: b.text } : { text: b.text, textPair: b.textPair };
  const flush = async () => {
    const { cache } = opts;
    if (cache) {
      await labelInputs(teacher, cache, pending.map(textOf), EVAL_SPEC, {
        ...(opts.tokenBudget === undefined ? {} : { tokenBudget: opts.tokenBudget }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const hashes = pending.map((p) => cache.inputHash(p));
      const outs = cache.outputs(teacher.info, hashes, EVAL_SPEC);
      pending.forEach((p, i) => keep(outs.get(hashes[i]!), p.gold));
    } else {
      for (const batch of tokenBudgetBatches(pending, opts.tokenBudget ?? 8192, teacher.info.maxLength)) {
        const outs = await teacher.infer(
          batch.map(textOf),
          EVAL_SPEC,
          opts.signal ? { signal: opts.signal } : undefined,
        );
        outs.forEach((o, i) => keep(o, batch[i]!.gold));
      }
    }
    pending = [];
  };
  for await (const r of readCorpus(corpus)) {
    if (r.label === null) {
      unlabelled++;
      continue;
    }
    pending.push({ ...r.input, gold: goldIndex(r.label, labels, r.line) });
    if (pending.length >= 256) await flush();
  }
  await flush();
  if (gold.length === 0)
    throw new DistilleryError('INVALID_INPUT', `${corpus.path} has no gold labels to evaluate against`, {
      hint: 'name the label column with --label-column',
    });

  const predicted = logits.map((z) => argmax(z));
  const f1 = macroF1(predicted, gold, labels.length);
  const cal = calibration(
    logits.map((z) => softmax(z)),
    gold,
    opts.bins ?? 10,
  );
  return {
    teacher: { name: teacher.info.name, fingerprint: teacher.info.fingerprint, labels },
    examples: gold.length,
    unlabelled,
    accuracy: accuracy(predicted, gold),
    macroF1: f1.macroF1,
    perClass: f1.perClass.map((c) => ({ ...c, name: labels[c.label] ?? String(c.label) })),
    ece: cal.ece,
    reliability: cal.table,
    temperatures: temperatureSweep(logits, gold, opts.temperatures ?? [1, 2, 3, 4, 5]),
  };
}

const f = (x: number, d = 4) => x.toFixed(d);

/** The report as a terminal table. */
export function formatEvalReport(r: EvalReport): string {
  const lines = [
    `teacher ${r.teacher.name} (${r.teacher.fingerprint.slice(0, 12)}) on ${r.examples} labelled examples${r.unlabelled ? ` (${r.unlabelled} unlabelled skipped)` : ''}`,
    `accuracy ${f(r.accuracy)}   macro-F1 ${f(r.macroF1)}   ECE ${f(r.ece)}`,
    '',
    'class            precision  recall  f1      support',
    ...r.perClass.map(
      (c) =>
        `${c.name.padEnd(16)} ${f(c.precision).padStart(9)}  ${f(c.recall)}  ${f(c.f1)}  ${String(c.support).padStart(7)}`,
    ),
    '',
    'reliability (confidence bin: count, mean confidence, accuracy)',
    ...r.reliability
      .filter((b) => b.count > 0)
      .map(
        (b) =>
          `  [${b.lo.toFixed(1)}, ${b.hi.toFixed(1)})  ${String(b.count).padStart(6)}  ${f(b.confidence)}  ${f(b.accuracy)}`,
      ),
    '',
    'temperature sweep (T: mean soft-label entropy in nats, mean KL(one-hot gold || p_T))',
    ...r.temperatures.map((t) => `  T=${t.temperature}  entropy ${f(t.meanEntropy)}  KL ${f(t.meanKlToGold)}`),
  ];
  return lines.join('\n');
}
