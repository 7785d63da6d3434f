/**
 * Labels causal-LM rows into the store, cache first: rows are encoded with the teacher's tokenizer,
 * content-addressed (SequenceOutputs.hash: token ids + scored positions), and only sequences that lack
 * part of the spec go to the teacher, a chunk at a time, each chunk committed in one transaction. A
 * rerun (or a run after an interruption) computes nothing already stored. Rows the teacher refuses are
 * reported with their field and never stored.
 *
 * A row the teacher wrote itself may come with its generation's Recording: its targets are then taken
 * from it (recorded-targets.ts) and stored under the same address, with no teacher-forced forward;
 * only the rows whose recording cannot give the exact scored positions go to the teacher.
 */
import type { SequenceOutputSpec } from '../core/sequence-types.ts';
import type { SequenceRowRef } from '../export/index.ts';
import type { Store } from '../store/index.ts';
import { SequenceOutputs } from '../store/index.ts';
import type { CausalTeacher } from '../teacher/causal/causal-teacher.ts';
import type { Recording } from '../teacher/causal/decode-recorder.ts';
import { recordedTargets } from '../teacher/causal/recorded-targets.ts';
import {
  type EncodedSequence,
  type SequenceInput,
  SequenceInputError,
  type SequenceOptions,
  scoredPositions,
} from '../teacher/causal/sequence-input.ts';

export interface SequenceRow {
  id: string;
  input: SequenceInput;
}

export interface SequenceLabelReport {
  rows: number;
  /** sequences computed now: by a teacher-forced forward, or from their generation's recording */
  computed: number;
  /** of `computed`, those taken from a recording */
  recorded: number;
  /** sequences served from the store */
  cached: number;
  /** bytes of output blobs written */
  bytes: number;
  errors: { id: string; field: string; message: string }[];
  /** the labelled rows in input order, for the exporters (storedSequenceRows) */
  refs: SequenceRowRef[];
}

export interface SequenceLabelOptions extends Partial<SequenceOptions> {
  /** rows per chunk (one store transaction each); default 256 */
  chunkRows?: number;
  /** rows the teacher wrote, by row id: their generation's recording (decode-recorder.ts) */
  recorded?: ReadonlyMap<string, Recording>;
}

const hashOf = (e: EncodedSequence): string =>
  SequenceOutputs.hash({
    tokenIds: Int32Array.from(e.ids),
    scored: scoredPositions(e.targets),
    truncated: e.truncated,
  });

export async function labelSequences(
  teacher: CausalTeacher,
  store: Store,
  rows: Iterable<SequenceRow>,
  spec: SequenceOutputSpec,
  opts: SequenceLabelOptions = {},
): Promise<SequenceLabelReport> {
  teacher.validateSpec(spec);
  const { fingerprint, vocabSize } = teacher.info;
  const provenance = JSON.stringify({ teacher: fingerprint, spec });
  const report: SequenceLabelReport = { rows: 0, computed: 0, recorded: 0, cached: 0, bytes: 0, errors: [], refs: [] };
  const chunkRows = opts.chunkRows ?? 256;
  let chunk: SequenceRow[] = [];
  const flush = async () => {
    const encoded = teacher.encode(
      chunk.map((r) => r.input),
      opts,
    );
    const ok: { row: SequenceRow; enc: EncodedSequence; hash: string }[] = [];
    encoded.forEach((e, i) => {
      const row = chunk[i]!;
      if (e instanceof SequenceInputError) report.errors.push({ id: row.id, field: e.field, message: e.message });
      else ok.push({ row, enc: e, hash: hashOf(e) });
    });
    const missing = store.sequences.missing(
      fingerprint,
      ok.map((o) => o.hash),
      spec,
    );
    // one computation per distinct sequence, even when rows repeat it
    const todo = [...new Map(ok.filter((o) => missing.has(o.hash)).map((o) => [o.hash, o])).values()];
    const recorded = todo.map((o) => {
      const rec = opts.recorded?.get(o.row.id);
      return rec && recordedTargets(rec, o.enc, spec, o.row.id);
    });
    const forward = todo.filter((_, i) => !recorded[i]);
    const results = await teacher.scoreEncoded(
      forward.map((o) => o.enc),
      spec,
      { seeds: forward.map((o) => o.row.id) },
    );
    let f = 0;
    const items = recorded
      .map((r) => r ?? results[f++]!)
      .flatMap((targets) => (targets instanceof SequenceInputError ? [] : [{ targets, spec }]));
    report.recorded += todo.length - forward.length;
    report.bytes += store.sequences.put(fingerprint, vocabSize, items).bytes;
    report.computed += todo.length;
    report.cached += ok.length - ok.filter((o) => missing.has(o.hash)).length;
    for (const o of ok) report.refs.push({ id: o.row.id, hash: o.hash, provenance });
    report.rows += chunk.length;
    chunk = [];
  };
  for (const row of rows) {
    chunk.push(row);
    if (chunk.length >= chunkRows) await flush();
  }
  if (chunk.length > 0) await flush();
  return report;
}
