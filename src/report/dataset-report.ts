/**
 * The dataset report: what the teacher thinks of a dataset and how each augmentation op moved it.
 * One streaming pass over the stored examples and their T = 1 logits; only the examples table window,
 * the per-op sums and a capped logits sample are kept in memory.
 */
import { argmax, entropy, klDivergence, softmaxT } from '../core/soft-labels.ts';
import type { OutputSpec, TeacherInfo } from '../core/types.ts';
import { DistilleryError } from '../core/errors.ts';
import { opChainKey } from '../core/op-chain.ts';
import { runSteps, runStepsYielding, STEP_ROWS, type Steps } from '../core/steps.ts';
import type { DatasetTeacher, DatasetReader, StoredExample } from '../store/index.ts';
import { TokenizedText } from '../augment/index.ts';
import { storedAttentionLayers } from './attention-layers.ts';
import { histogram } from './histogram.ts';
import { goldLabelName } from './label-names.ts';
import type { DatasetReport, ExampleGroup, ExampleRow, LabelCount, OpReport } from './report-types.ts';

export const REPORT_TEMPERATURES = [1, 2, 3, 4, 5] as const;

export interface ReportOptions {
  /** teacher name or fingerprint; default: the dataset's first teacher */
  teacher?: string;
  /** originals (with their augmentations) in the examples table; default 25 */
  exampleGroups?: number;
  /** first original of the examples table, counted in originals; default 0 */
  exampleOffset?: number;
  /** most logits rows sent for client-side temperature previews; default 20,000 */
  logitsCap?: number;
}

interface OpSums {
  count: number;
  compared: number;
  flipped: number;
  kl: number;
}

/** The dataset's teacher named by `which` (name or fingerprint), or its first one. */
export function pickTeacher(store: DatasetReader, datasetId: string, which?: string): DatasetTeacher | undefined {
  const teachers = store.datasetTeachers(datasetId);
  if (which === undefined) return teachers[0];
  const t = teachers.find((x) => x.fingerprint === which || x.info?.name === which);
  if (!t) {
    throw new DistilleryError('NOT_FOUND', `dataset ${datasetId} has no teacher "${which}"`, {
      hint: `its teachers: ${teachers.map((x) => x.info?.name ?? x.fingerprint).join(', ') || 'none'}`,
    });
  }
  return t;
}

/**
 * Share of each op chain's augmentations dropped as duplicates: from the counts the job runner stored
 * (Store.opStats, produced = before dedupe), else from a manifest's augmentStats.byOp (produced = kept).
 */
function duplicateShares(store: DatasetReader, datasetId: string, manifest: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const stored = store.opStats(datasetId);
  if (stored.length > 0) {
    for (const o of stored) if (o.produced > 0) out.set(o.op, o.duplicates / o.produced);
    return out;
  }
  const byOp = (
    manifest as { augmentStats?: { byOp?: Record<string, { produced?: number; duplicates?: number }> } } | null
  )?.augmentStats?.byOp;
  if (!byOp || typeof byOp !== 'object') return out;
  for (const [op, c] of Object.entries(byOp)) {
    const produced = Number(c?.produced ?? 0);
    const dup = Number(c?.duplicates ?? 0);
    if (produced + dup > 0) out.set(op, dup / (produced + dup));
  }
  return out;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

function row(
  e: StoredExample,
  probs: Float32Array | undefined,
  labels: readonly string[],
  hasAttentions: boolean,
): ExampleRow {
  const tokens = TokenizedText.parse(e.text).tokens.map((t) => ({ pre: t.pre, text: t.text }));
  const r: ExampleRow = {
    id: e.id,
    text: e.text,
    label: e.label ?? null,
    ops: e.origin.kind === 'augmentation' ? e.origin.ops : [],
    tokens,
    changed: e.origin.kind === 'augmentation' ? e.origin.changed : [],
    hasAttentions: hasAttentions && probs !== undefined,
  };
  if (e.textPair !== undefined) r.textPair = e.textPair;
  if (probs) {
    r.probs = Array.from(probs, round4);
    r.predicted = labels[argmax(probs)] ?? String(argmax(probs));
  }
  return r;
}

/** The report in one pass over the dataset (the CLI: nothing else waits on this thread). */
export function buildDatasetReport(store: DatasetReader, datasetId: string, opts: ReportOptions = {}): DatasetReport {
  return runSteps(reportSteps(store, datasetId, opts));
}

/** The same report, letting the event loop run every few hundred rows (the dashboard's server). */
export function buildDatasetReportYielding(
  store: DatasetReader,
  datasetId: string,
  opts: ReportOptions = {},
): Promise<DatasetReport> {
  return runStepsYielding(reportSteps(store, datasetId, opts));
}

function* reportSteps(store: DatasetReader, datasetId: string, opts: ReportOptions): Steps<DatasetReport> {
  const dataset = store.requireDataset(datasetId);
  const chosen = pickTeacher(store, datasetId, opts.teacher);
  const info: TeacherInfo | undefined = chosen?.info;
  const labels = info?.labels ?? [];
  const groupsWanted = opts.exampleGroups ?? 25;
  const offset = opts.exampleOffset ?? 0;
  const logitsCap = opts.logitsCap ?? 20_000;
  const attentionLayers = chosen ? storedAttentionLayers(chosen.spec, info?.attentionLayers ?? 0) : [];

  const labelCounts = new Map<string, LabelCount>(
    labels.map((l) => [l, { label: l, gold: 0, teacherOriginals: 0, teacherAll: 0 }]),
  );
  const countFor = (l: string) => {
    let c = labelCounts.get(l);
    if (!c) labelCounts.set(l, (c = { label: l, gold: 0, teacherOriginals: 0, teacherAll: 0 }));
    return c;
  };
  const confidences: number[] = [];
  const entropies: number[][] = REPORT_TEMPERATURES.map(() => []);
  const logits: number[][] = [];
  let logitsSampled = false;
  // T = 1 soft labels of originals, for the per-op comparisons (parents precede their augmentations)
  const parentProbs = new Map<string, Float32Array>();
  const ops = new Map<string, OpSums>();
  const groups: ExampleGroup[] = [];
  const groupOf = new Map<string, ExampleGroup>();
  const totals = { examples: 0, originals: 0, augmentations: 0, labelled: 0 };
  let originalIndex = -1;

  const rows = chosen
    ? store.iterateLabelled(
        datasetId,
        chosen.fingerprint,
        { logits: true, temperatures: [1], encoding: chosen.spec.encoding } satisfies OutputSpec,
        { prefetch: true },
      )
    : (function* () {
        for (const example of store.iterateExamples(datasetId)) yield { example, output: undefined };
      })();

  for (const { example: e, output } of rows) {
    if (++totals.examples % STEP_ROWS === 0) yield;
    const z = output?.logits;
    const probs = z ? softmaxT(z, 1) : undefined;
    if (z && probs) {
      totals.labelled++;
      const top = argmax(probs);
      const predicted = labels[top] ?? String(top);
      countFor(predicted).teacherAll++;
      if (e.origin.kind === 'original') countFor(predicted).teacherOriginals++;
      confidences.push(probs[top]!);
      REPORT_TEMPERATURES.forEach((t, i) => entropies[i]!.push(entropy(softmaxT(z, t))));
      if (logits.length < logitsCap) logits.push(Array.from(z, round4));
      else logitsSampled = true;
    }
    if (e.origin.kind === 'original') {
      totals.originals++;
      originalIndex++;
      const gold = goldLabelName(e.label, labels);
      if (gold !== null) countFor(gold).gold++;
      if (probs) parentProbs.set(e.id, probs);
      if (originalIndex >= offset && groups.length < groupsWanted) {
        const g: ExampleGroup = { original: row(e, probs, labels, attentionLayers.length > 0), augmentations: [] };
        groups.push(g);
        groupOf.set(e.id, g);
      }
    } else {
      totals.augmentations++;
      const key = opChainKey(e.origin.ops);
      let s = ops.get(key);
      if (!s) ops.set(key, (s = { count: 0, compared: 0, flipped: 0, kl: 0 }));
      s.count++;
      const parent = parentProbs.get(e.origin.parentId);
      if (parent && probs) {
        s.compared++;
        if (argmax(parent) !== argmax(probs)) s.flipped++;
        s.kl += klDivergence(parent, probs);
      }
      groupOf.get(e.origin.parentId)?.augmentations.push(row(e, probs, labels, attentionLayers.length > 0));
    }
  }

  const dups = duplicateShares(store, datasetId, dataset.manifest);
  const opReports: OpReport[] = [...ops.entries()]
    .sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]))
    .map(([op, s]) => ({
      op,
      count: s.count,
      duplicateShare: dups.get(op) ?? null,
      flippedShare: s.compared > 0 ? s.flipped / s.compared : 0,
      meanKl: s.compared > 0 ? s.kl / s.compared : 0,
      compared: s.compared,
    }));

  const maxEntropy = Math.log(Math.max(2, labels.length));
  return {
    dataset: { id: dataset.id, name: dataset.name, created: dataset.created },
    teachers: store
      .datasetTeachers(datasetId)
      .map((t) => ({ name: t.info?.name ?? t.fingerprint.slice(0, 12), fingerprint: t.fingerprint })),
    teacher: info
      ? { name: info.name, fingerprint: info.fingerprint, labels: [...labels], device: info.device, dtype: info.dtype }
      : null,
    totals,
    labels: [...labelCounts.values()],
    confidence: histogram(confidences, 10, 1 / Math.max(2, labels.length), 1),
    entropy: REPORT_TEMPERATURES.map((t, i) => ({
      temperature: t,
      histogram: histogram(entropies[i]!, 20, 0, maxEntropy),
    })),
    ops: opReports,
    examples: groups,
    logits,
    logitsSampled,
    attentionLayers,
  };
}
