/**
 * The job's teacher filters, run after labelling and before commit: an augmentation whose predicted class
 * differs from its original's, or whose confidence is outside the band, is kept, dropped or flagged
 * (flagged ones record the decision in their provenance params). With several teachers the decision uses
 * their weighted mean probabilities.
 */
import { decideTeacherFilter, type TeacherFilter } from '../../augment/index.ts';
import type { Example, OutputSpec, TextInput } from '../../core/types.ts';
import type { JobSpec } from '../job-schema.ts';
import type { RunnerStore } from './ports.ts';
import type { JobTeacher } from './run-job.ts';

const PROBS_T1: OutputSpec = { logits: true, temperatures: [1], encoding: 'int8' };

export function toTeacherFilter(filters: JobSpec['filters']): TeacherFilter | undefined {
  if (!filters) return undefined;
  const band = filters.minConfidence !== undefined || filters.maxConfidence !== undefined;
  if (filters.disagreement === 'keep' && !band) return undefined;
  const f: TeacherFilter = { onLabelFlip: filters.disagreement };
  if (band) {
    f.confidenceBand = { min: filters.minConfidence ?? 0, max: filters.maxConfidence ?? 1 };
    f.outsideBand = filters.outsideBand;
  }
  return f;
}

/** Weighted mean of the teachers' probabilities at T = 1 per input hash. */
function meanProbs(store: RunnerStore, teachers: readonly JobTeacher[], hashes: string[]): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const total = teachers.reduce((s, t) => s + t.weight, 0);
  for (const t of teachers) {
    const outputs = store.outputs(t.runner.info, hashes, PROBS_T1);
    for (const [hash, o] of outputs) {
      const p = o.probs?.[0];
      if (!p) continue;
      let acc = out.get(hash);
      if (!acc) out.set(hash, (acc = new Float64Array(p.length)));
      for (let i = 0; i < p.length; i++) acc[i]! += (p[i]! * t.weight) / total;
    }
  }
  return out;
}

export interface FilterOutcome {
  examples: Example[];
  dropped: number;
  flagged: number;
}

export function applyTeacherFilter(
  examples: readonly Example[],
  filter: TeacherFilter,
  store: RunnerStore,
  teachers: readonly JobTeacher[],
): FilterOutcome {
  const hashOf = (e: TextInput) => store.inputHash(e);
  const hashes = [...new Set(examples.map(hashOf))];
  const probs = meanProbs(store, teachers, hashes);
  const byId = new Map(examples.map((e) => [e.id, e]));
  const kept: Example[] = [];
  let dropped = 0;
  let flagged = 0;
  for (const e of examples) {
    if (e.origin.kind !== 'augmentation') {
      kept.push(e);
      continue;
    }
    const parent = byId.get(e.origin.parentId);
    const pa = parent && probs.get(hashOf(parent));
    const pe = probs.get(hashOf(e));
    if (!pa || !pe) {
      kept.push(e);
      continue;
    }
    const d = decideTeacherFilter(pa, pe, filter);
    if (d.action === 'drop') dropped++;
    else if (d.action === 'flag') {
      flagged++;
      kept.push({
        ...e,
        origin: { ...e.origin, params: { ...e.origin.params, teacherFilter: { action: 'flag', reasons: d.reasons } } },
      });
    } else kept.push(e);
  }
  return { examples: kept, dropped, flagged };
}
