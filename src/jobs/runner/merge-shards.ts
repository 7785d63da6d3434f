/**
 * Merge the datasets of `--shard i/n` runs into the dataset a single run would have made: the corpus is
 * read again and each record's rows (its original, then its augmentations) are taken from the shard its
 * input hash assigns it to, so the merged rows and their order equal a single run's. Shards must share one
 * store file (teacher outputs are content-addressed there and are not copied). Safe to rerun.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { Example } from '../../core/types.ts';
import { inputHash, type Store, type StoredExample } from '../../store/index.ts';
import { readCorpus, type CorpusOptions } from '../corpus/index.ts';
import { shardDatasetId, shardOf } from './shard.ts';

interface StoredIdentity {
  corpus: CorpusOptions;
  shard: { index: number; count: number } | null;
  chunkSize: number;
  [key: string]: unknown;
}

/** One-row lookahead over a shard's examples. */
class Cursor {
  readonly #it: Iterator<StoredExample>;
  #next: IteratorResult<StoredExample>;
  constructor(it: Iterator<StoredExample>) {
    this.#it = it;
    this.#next = it.next();
  }
  peek(): StoredExample | undefined {
    return this.#next.done ? undefined : this.#next.value;
  }
  take(): StoredExample {
    const v = this.peek();
    if (!v) throw new DistilleryError('INTERNAL', 'shard ended early');
    this.#next = this.#it.next();
    return v;
  }
}

const toExample = ({ ordinal: _o, inputHash: _h, ...e }: StoredExample): Example => e;

export interface MergeResult {
  dataset: string;
  records: number;
  examples: number;
  status: 'done' | 'up-to-date';
}

export async function mergeShards(store: Store, dataset: string, count: number): Promise<MergeResult> {
  if (!(Number.isInteger(count) && count >= 2))
    throw new DistilleryError('INVALID_INPUT', `--shards ${count}: expected an integer >= 2`);
  const ids = Array.from({ length: count }, (_, index) => shardDatasetId(dataset, { index, count }));
  const specs = ids.map((id) => {
    const d = store.getDataset(id);
    if (!d)
      throw new DistilleryError('NOT_FOUND', `shard dataset ${id} is not in this store`, {
        hint: `run every shard (--shard i/${count}) against this database first`,
      });
    if ((d.manifest as { status?: string } | null)?.status !== 'done')
      throw new DistilleryError('INVALID_INPUT', `shard ${id} has not finished`, {
        hint: 'run it again to completion',
      });
    return d.spec as StoredIdentity;
  });
  const merged: StoredIdentity = { ...specs[0]!, shard: null };
  specs.forEach((s, i) => {
    if (
      JSON.stringify({ ...s, shard: null }) !== JSON.stringify(merged) ||
      s.shard?.index !== i ||
      s.shard.count !== count
    ) {
      throw new DistilleryError('INVALID_INPUT', `shard ${ids[i]} was made by a different job than ${ids[0]}`);
    }
  });
  const existing = store.getDataset(dataset);
  if (existing) {
    if (JSON.stringify(existing.spec) !== JSON.stringify(merged)) {
      throw new DistilleryError('INVALID_INPUT', `dataset ${dataset} exists and was made by a different job`, {
        hint: `remove it with: distillery datasets rm ${dataset}`,
      });
    }
    if ((existing.manifest as { status?: string } | null)?.status === 'done') {
      const counts = store.exampleCounts(dataset);
      return { dataset, records: counts.originals, examples: counts.examples, status: 'up-to-date' };
    }
  } else {
    store.createDataset({ id: dataset, spec: merged, manifest: { status: 'running' } });
  }
  for (const t of store.datasetTeachers(ids[0]!)) store.linkTeacher(dataset, t.fingerprint, t.spec);

  const cursors = ids.map((id) => new Cursor(store.iterateExamples(id)));
  let batch: Example[] = [];
  let records = 0;
  let examples = 0;
  for await (const r of readCorpus(merged.corpus)) {
    const cursor = cursors[shardOf(inputHash(r.input), count)]!;
    const original = cursor.peek();
    if (!original || original.id !== r.id || original.origin.kind !== 'original') {
      throw new DistilleryError('INVALID_INPUT', `shard rows do not match the corpus at line ${r.line}`, {
        hint: 'the corpus file changed since the shards ran',
      });
    }
    batch.push(toExample(cursor.take()));
    for (let e = cursor.peek(); e && e.origin.kind === 'augmentation' && e.origin.parentId === r.id; e = cursor.peek())
      batch.push(toExample(cursor.take()));
    records++;
    if (records % merged.chunkSize === 0) {
      examples += batch.length;
      store.addExamples(dataset, batch);
      batch = [];
    }
  }
  examples += batch.length;
  if (batch.length > 0) store.addExamples(dataset, batch);
  if (cursors.some((c) => c.peek() !== undefined))
    throw new DistilleryError('INVALID_INPUT', 'a shard holds rows the corpus no longer has', {
      hint: 'the corpus file changed since the shards ran',
    });
  // per-op counts of the merged dataset: the shards' sums (replaced, not added, so a rerun is safe)
  const opSums = new Map<string, { op: string; produced: number; duplicates: number }>();
  for (const id of ids) {
    for (const o of store.opStats(id)) {
      const sum = opSums.get(o.op) ?? { op: o.op, produced: 0, duplicates: 0 };
      opSums.set(o.op, { op: o.op, produced: sum.produced + o.produced, duplicates: sum.duplicates + o.duplicates });
    }
  }
  store.setOpStats(dataset, [...opSums.values()]);
  store.setDatasetManifest(dataset, { status: 'done', records, examples });
  return { dataset, records, examples, status: 'done' };
}
