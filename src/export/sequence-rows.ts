/**
 * Rows for the sequence exporters, read from the store a page at a time: the caller lists what to
 * export (id, sequence hash, provenance) and gets the decoded targets back in that order, with
 * the rows whose outputs are not all stored counted instead of yielded.
 */
import type { SequenceOutputSpec } from '../core/sequence-types.ts';
import type { Store } from '../store/index.ts';
import type { SequenceExportRow } from './sequence-parquet.ts';

export interface SequenceRowRef {
  id: string;
  /** SequenceOutputs.hash(targets), hex */
  hash: string;
  provenance?: string;
}

/** Iterates `refs` in pages of `pageRows`; `skipped.count` says how many lacked a stored output. */
export function* storedSequenceRows(
  store: Store,
  fingerprint: string,
  spec: SequenceOutputSpec,
  refs: Iterable<SequenceRowRef>,
  skipped: { count: number } = { count: 0 },
  pageRows = 64,
): Generator<SequenceExportRow> {
  let page: SequenceRowRef[] = [];
  const flush = function* (): Generator<SequenceExportRow> {
    // top-k rows stay encoded until the Parquet writer decodes them into its column bytes
    const got = store.sequences.getMany(
      fingerprint,
      page.map((r) => r.hash),
      spec,
      { lazyTopK: true },
    );
    for (let i = 0; i < page.length; i++) {
      const targets = got[i];
      if (!targets) {
        skipped.count++;
        continue;
      }
      const { id, provenance } = page[i]!;
      yield provenance === undefined ? { id, targets } : { id, targets, provenance };
    }
    page = [];
  };
  for (const ref of refs) {
    page.push(ref);
    if (page.length >= pageRows) yield* flush();
  }
  if (page.length > 0) yield* flush();
}
