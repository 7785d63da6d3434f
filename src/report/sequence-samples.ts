/**
 * Token strips of a few rows of a causal-LM dataset: each token with the teacher's log-prob and rank
 * of it, the entropy it was drawn against and the teacher's most likely tokens there. Only the rows
 * shown are read (the stats pass is cached apart, so paging the strips does not rescan the dataset).
 */
import type { SequenceTargets } from '../core/sequence-types.ts';
import {
  labelledRows,
  pagesOf,
  pickSequenceTeacher,
  reportSpec,
  type SequenceReportSource,
} from './sequence-report.ts';
import type { SequenceSample, StripToken } from './sequence-report-types.ts';

export interface SampleOptions {
  /** teacher name or fingerprint; default: the dataset's first causal-LM teacher */
  teacher?: string;
  /** first row shown, counted in rows; default 0 */
  offset?: number;
  /** rows shown; default 8 */
  rows?: number;
  /** tokens per strip; default 256 */
  stripTokens?: number;
  /** top-k entries per token tooltip; default 5 */
  alternatives?: number;
}

/** Token strings for ids, from a teacher's tokenizer; undefined when it is not at hand. */
export type TokenTexts = (teacherName: string, ids: readonly number[]) => Promise<string[] | undefined>;

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

function strip(t: SequenceTargets, maxTokens: number, alternatives: number): StripToken[] {
  const rowOf = new Map<number, number>();
  t.positions.forEach((pos, p) => rowOf.set(pos, p));
  const n = Math.min(t.tokenIds.length, maxTokens);
  const out: StripToken[] = [];
  for (let i = 0; i < n; i++) {
    const tok: StripToken = { id: t.tokenIds[i]! };
    const p = i > 0 ? rowOf.get(i - 1) : undefined;
    if (p !== undefined) {
      if (t.target) {
        tok.logprob = round4(t.target.logprob[p]!);
        tok.rank = t.target.rank[p]!;
        tok.entropy = round4(t.target.entropy[p]!);
      }
      if (t.topk) {
        const k = Math.min(alternatives, t.topk.k);
        tok.alternatives = Array.from({ length: k }, (_, j) => ({
          id: t.topk!.ids[p * t.topk!.k + j]!,
          logprob: round4(t.topk!.logprobs[p * t.topk!.k + j]!),
        }));
      }
    }
    out.push(tok);
  }
  return out;
}

/** The strips of rows offset .. offset + rows, without token texts (see withTokenTexts). */
export function sequenceSamples(
  store: SequenceReportSource,
  datasetId: string,
  opts: SampleOptions = {},
): SequenceSample[] {
  store.requireDataset(datasetId);
  const teacher = pickSequenceTeacher(store, datasetId, opts.teacher);
  if (!teacher) return [];
  const window = [...take(skip(store.datasetSequences.iterate(datasetId), opts.offset ?? 0), opts.rows ?? 8)];
  const spec = reportSpec(teacher.spec);
  const read = (hashes: string[]) => store.sequences.getMany(teacher.fingerprint, hashes, spec);
  const stored = new Map<string, SequenceTargets | undefined>();
  for (const page of pagesOf(labelledRows(window, { count: 0 }), read))
    for (const { ref, value } of page) stored.set(ref.id, value);
  return window.map((row): SequenceSample => {
    const empty = { id: row.id, length: 0, truncated: false, labelled: false, strip: [] };
    if (row.hash === undefined) return { ...empty, refused: { field: row.field, message: row.message } };
    const t = stored.get(row.id);
    if (!t) return empty;
    return {
      id: row.id,
      length: t.tokenIds.length,
      truncated: t.truncated,
      labelled: true,
      strip: strip(t, opts.stripTokens ?? 256, opts.alternatives ?? 5),
    };
  });
}

/** Rows after the first `n` (cheap: the rows are ids and hashes, read a page at a time). */
function* skip<T>(it: Iterable<T>, n: number): Generator<T> {
  let i = 0;
  for (const x of it) if (i++ >= n) yield x;
}

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const x of it) {
    yield x;
    if (++i >= n) return;
  }
}

/**
 * Fills in the text of every strip token and alternative from the teacher's tokenizer (each id
 * decoded once); returns whether it could. Texts are plain strings: the page sets them as text.
 */
export async function withTokenTexts(
  samples: SequenceSample[],
  teacherName: string,
  texts: TokenTexts | undefined,
): Promise<boolean> {
  if (!texts) return false;
  const ids = new Set<number>();
  for (const s of samples)
    for (const tok of s.strip) {
      ids.add(tok.id);
      for (const a of tok.alternatives ?? []) ids.add(a.id);
    }
  const list = [...ids];
  const got = await texts(teacherName, list);
  if (!got || got.length !== list.length) return false;
  const textOf = new Map(list.map((id, i) => [id, got[i]!]));
  for (const s of samples)
    for (const tok of s.strip) {
      tok.text = textOf.get(tok.id)!;
      for (const a of tok.alternatives ?? []) a.text = textOf.get(a.id)!;
    }
  return true;
}
