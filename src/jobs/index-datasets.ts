/**
 * The slice of jobs/ that `distillery datasets` needs: the dataset lock, the kind of a dataset, and the
 * shard merge. Beside index.ts, whose runner, queue, exporters and their packages (hyparquet-writer, the
 * BullMQ glue) would be parsed by every `datasets list`.
 */
export { withDatasetLock } from './dataset-lock.ts';
export { sequenceDatasetOf } from './sequence/sequence-dataset.ts';
/** Reads the corpus of the job: loaded by `datasets merge` only. */
export const loadMergeShards = () => import('./runner/merge-shards.ts');
