/**
 * The report of a causal-LM dataset: per-position entropy, the top-k mass captured and next-token
 * figures, in one pass over its sequences a page at a time (only the histograms' counts are kept), and
 * token strips of a few rows (sequence-samples.ts).
 */
import { DistilleryError } from '../core/errors.ts';
import type { SequenceOutputSpec } from '../core/sequence-types.ts';
import { runSteps, runStepsYielding, type Steps } from '../core/steps.ts';
import type { DatasetRecord, DatasetRepository, DatasetSequenceRow, SequenceDatasetReader } from '../store/index.ts';
import { histogram, type Histogram } from './histogram.ts';
import type { SequenceReportTeacher, SequenceStats } from './sequence-report-types.ts';

type LabelledRow = DatasetSequenceRow & { hash: string };

/** The rows the teacher labelled, counting the refused ones in `refused.count`. */
export function* labelledRows(rows: Iterable<DatasetSequenceRow>, refused: { count: number }): Generator<LabelledRow> {
  for (const r of rows) {
    if (r.hash === undefined) refused.count++;
    else yield r as LabelledRow;
  }
}

export type SequenceReportSource = Pick<DatasetRepository, 'requireDataset' | 'getDataset'> & SequenceDatasetReader;

/** Sequences read per store call: one page of decoded outputs in memory at a time. */
export const SEQUENCE_PAGE = 64;
/** Entropy is binned at 1/64 nat first; the histogram's bins are whole multiples of that width. */
const FINE_BINS_PER_NAT = 64;
const ENTROPY_BINS = 20;
const MASS_BINS = 20;

/** The part of a causal-LM job's dataset spec (`kind: 'causal-lm'`) a report reads. */
interface CausalDatasetSpec {
  kind: 'causal-lm';
  teacher: { name: string; fingerprint: string };
  spec: SequenceOutputSpec;
}

function causalSpecOf(record: DatasetRecord | undefined): CausalDatasetSpec | undefined {
  const spec = record?.spec as Partial<CausalDatasetSpec> | null | undefined;
  return spec?.kind === 'causal-lm' && spec.teacher && spec.spec ? (spec as CausalDatasetSpec) : undefined;
}

/** Whether the dataset was made by a causal-LM job (its report is then a SequenceReport). */
export function isSequenceDataset(store: Pick<DatasetRepository, 'getDataset'>, datasetId: string): boolean {
  return causalSpecOf(store.getDataset(datasetId)) !== undefined;
}

/** The dataset's causal-LM teacher; `which` (name or fingerprint), when given, must name it. */
export function pickSequenceTeacher(
  store: Pick<DatasetRepository, 'requireDataset'>,
  datasetId: string,
  which?: string,
): SequenceReportTeacher | undefined {
  const made = causalSpecOf(store.requireDataset(datasetId));
  if (!made) return undefined;
  const t = { name: made.teacher.name, fingerprint: made.teacher.fingerprint, spec: made.spec };
  if (which !== undefined && which !== t.name && which !== t.fingerprint) {
    throw new DistilleryError('NOT_FOUND', `dataset ${datasetId} has no teacher "${which}"`, {
      hint: `its teacher: ${t.name}`,
    });
  }
  return t;
}

/** The stored parts a report reads: top-k and the next-token target, at the spec's temperature. */
export function reportSpec(spec: SequenceOutputSpec): SequenceOutputSpec {
  return {
    temperature: spec.temperature,
    ...(spec.topK !== undefined ? { topK: spec.topK } : {}),
    ...(spec.target ? { target: true } : {}),
  };
}

/** Labelled rows `refs` a page at a time, each with what `read` gives for its page of hashes. */
export function* pagesOf<T>(
  refs: Iterable<LabelledRow>,
  read: (hashes: string[]) => (T | undefined)[],
): Generator<{ ref: LabelledRow; value: T | undefined }[]> {
  let page: LabelledRow[] = [];
  const flush = () => {
    const got = read(page.map((r) => r.hash));
    const out = page.map((ref, i) => ({ ref, value: got[i] }));
    page = [];
    return out;
  };
  for (const ref of refs) {
    page.push(ref);
    if (page.length >= SEQUENCE_PAGE) yield flush();
  }
  if (page.length > 0) yield flush();
}

/** Fine entropy bins merged into at most ENTROPY_BINS bins of a whole number of fine widths. */
function entropyHistogram(fine: Map<number, number>): Histogram {
  const used = Math.max(1, ...[...fine.keys()].map((f) => f + 1));
  const merge = Math.max(1, Math.ceil(used / ENTROPY_BINS));
  const bins = Math.ceil(used / merge);
  const counts = new Array<number>(bins).fill(0);
  for (const [f, n] of fine) counts[Math.floor(f / merge)]! += n;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i * merge) / FINE_BINS_PER_NAT);
  return { edges, counts };
}

function* statsSteps(store: SequenceReportSource, datasetId: string, which?: string): Steps<SequenceStats> {
  const dataset = store.requireDataset(datasetId);
  const teacher = pickSequenceTeacher(store, datasetId, which);
  const totals = { sequences: 0, labelled: 0, refused: 0, tokens: 0, positions: 0, truncated: 0 };
  const refused = { count: 0 };
  const fineEntropy = new Map<number, number>();
  const masses: number[] = [];
  let massCounts: Histogram | null = null;
  const sums = { entropy: 0, logprob: 0, top1: 0, mass: 0, targetRows: 0, massRows: 0 };
  const spec = teacher ? reportSpec(teacher.spec) : undefined;

  if (teacher) {
    const read = (hashes: string[]) => store.sequenceSummaries.getMany(teacher.fingerprint, hashes, spec!);
    for (const page of pagesOf(labelledRows(store.datasetSequences.iterate(datasetId), refused), read)) {
      for (const { value: t } of page) {
        totals.sequences++;
        if (!t) continue;
        totals.labelled++;
        totals.tokens += t.length;
        totals.positions += t.positions;
        if (t.truncated) totals.truncated++;
        if (t.target) {
          const { entropy, logprob, rank } = t.target;
          for (let p = 0; p < entropy.length; p++) {
            const h = Math.max(0, entropy[p]!);
            if (!Number.isFinite(h)) continue;
            const f = Math.floor(h * FINE_BINS_PER_NAT);
            fineEntropy.set(f, (fineEntropy.get(f) ?? 0) + 1);
            sums.entropy += h;
            sums.logprob += logprob[p]!;
            if (rank[p] === 0) sums.top1++;
            sums.targetRows++;
          }
        }
        if (t.tailMass) {
          for (let p = 0; p < t.tailMass.length; p++) {
            const m = 1 - t.tailMass[p]!;
            masses.push(m);
            sums.mass += m;
            sums.massRows++;
          }
        }
      }
      // bin each page's masses now, so memory stays one page's worth
      const h = histogram(masses, MASS_BINS, 0, 1);
      if (massCounts) h.counts.forEach((c, i) => (massCounts!.counts[i]! += c));
      else massCounts = h;
      masses.length = 0;
      yield;
    }
  }
  totals.refused = refused.count;
  totals.sequences += refused.count;
  const mean = (sum: number, n: number) => (n > 0 ? sum / n : null);
  const meanTargetLogprob = mean(sums.logprob, sums.targetRows);
  return {
    dataset: { id: dataset.id, name: dataset.name, created: dataset.created },
    teacher: teacher ?? null,
    teachers: teacher ? [{ name: teacher.name, fingerprint: teacher.fingerprint }] : [],
    totals,
    entropy: spec?.target ? entropyHistogram(fineEntropy) : null,
    mass: spec?.topK !== undefined ? (massCounts ?? histogram([], MASS_BINS, 0, 1)) : null,
    summary: {
      meanEntropy: mean(sums.entropy, sums.targetRows),
      meanTargetLogprob,
      perplexity: meanTargetLogprob === null ? null : Math.exp(-meanTargetLogprob),
      top1Share: mean(sums.top1, sums.targetRows),
      meanMass: mean(sums.mass, sums.massRows),
    },
  };
}

/** The stats in one pass (the CLI: nothing else waits on this thread). */
export function buildSequenceStats(store: SequenceReportSource, datasetId: string, teacher?: string): SequenceStats {
  return runSteps(statsSteps(store, datasetId, teacher));
}

/** The same stats, letting the event loop run after every page (the dashboard's server). */
export function buildSequenceStatsYielding(
  store: SequenceReportSource,
  datasetId: string,
  teacher?: string,
): Promise<SequenceStats> {
  return runStepsYielding(statsSteps(store, datasetId, teacher));
}
