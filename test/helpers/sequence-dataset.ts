/**
 * A causal-LM dataset made the way a job makes one, through the sequence labeler and the store API
 * (no `distillery run`): rows labelled into store.sequences, listed in the dataset in order, the
 * teacher linked with its spec, and the manifest marked done.
 */
import type { SequenceOutputSpec } from '../../src/core/sequence-types.ts';
import { labelSequences, type SequenceLabelReport, type SequenceRow } from '../../src/jobs/sequence-labeler.ts';
import type { Store } from '../../src/store/index.ts';
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
  store.createDataset({ id: datasetId, name: datasetId });
  const report = await labelSequences(teacher, store, rows, spec, { ...opts, chunkRows: 32 });
  store.datasetSequences.addSequences(datasetId, report.refs);
  store.datasetSequences.linkSequenceTeacher(datasetId, {
    fingerprint: teacher.info.fingerprint,
    name: teacher.info.name,
    spec,
  });
  store.setDatasetManifest(datasetId, { status: 'done', rows: report.rows, errors: report.errors.length });
  return report;
}

/** The first `n` texts of a public corpus (JSONL with a `text` field) as causal-LM rows. */
export function textRows(lines: string[], n: number): SequenceRow[] {
  return lines
    .filter((l) => l.trim() !== '')
    .slice(0, n)
    .map((l, i) => ({ id: `r${i}`, input: { text: (JSON.parse(l) as { text: string }).text } }));
}
