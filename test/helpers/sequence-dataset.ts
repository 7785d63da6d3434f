/**
 * A causal-LM dataset made the way a job makes one, through the sequence labeler and the store API
 * (no `distillery run`): the dataset spec a causal-LM job records, rows labelled into
 * store.sequences, each corpus row listed in order with its sequence hash or why it was refused, and
 * the manifest marked done in the same transaction.
 */
import type { SequenceOutputSpec } from '../../src/core/sequence-types.ts';
import { labelSequences, type SequenceLabelReport, type SequenceRow } from '../../src/jobs/sequence-labeler.ts';
import type { DatasetSequenceRow, Store } from '../../src/store/index.ts';
import type { CausalTeacher } from '../../src/teacher/causal/causal-teacher.ts';
import type { SequenceOptions } from '../../src/teacher/causal/sequence-input.ts';

export async function makeSequenceDataset(
  store: Store,
  teacher: CausalTeacher,
  datasetId: string,
  rows: SequenceRow[],
  spec: SequenceOutputSpec,
  opts: Partial<SequenceOptions> = {},
): Promise<SequenceLabelReport> {
  const { name, fingerprint, vocabSize } = teacher.info;
  // the dataset spec a causal-LM job records (kind, teacher, output spec, options)
  store.createDataset({
    id: datasetId,
    name: datasetId,
    spec: { kind: 'causal-lm', teacher: { name, fingerprint, vocabSize }, spec, options: opts },
  });
  const report = await labelSequences(teacher, store, rows, spec, { ...opts, chunkRows: 32 });
  const hashOf = new Map(report.refs.map((r) => [r.id, r.hash]));
  const refusedOf = new Map(report.errors.map((e) => [e.id, e]));
  store.datasetSequences.add(
    datasetId,
    rows.map((r): DatasetSequenceRow => {
      const e = refusedOf.get(r.id);
      return e ? { id: r.id, field: e.field, message: e.message } : { id: r.id, hash: hashOf.get(r.id)! };
    }),
    { status: 'done', rows: report.rows, labelled: report.refs.length, refused: report.errors.length },
  );
  return report;
}

/** The first `n` texts of a public corpus (JSONL with a `text` field) as causal-LM rows. */
export function textRows(lines: string[], n: number): SequenceRow[] {
  return lines
    .filter((l) => l.trim() !== '')
    .slice(0, n)
    .map((l, i) => ({ id: `r${i}`, input: { text: (JSON.parse(l) as { text: string }).text } }));
}
