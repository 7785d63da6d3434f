import type { Store } from '../../store/index.ts';
import type { SequenceDatasetSpec } from './run-sequence-job.ts';

/**
 * The spec of a dataset a causal-LM job made, or undefined for any other dataset. Apart from the exporter
 * (sequence-export.ts) so that `distillery datasets` can tell the two kinds apart without loading it.
 */
export function sequenceDatasetOf(store: Store, dataset: string): SequenceDatasetSpec | undefined {
  const spec = store.getDataset(dataset)?.spec as Partial<SequenceDatasetSpec> | null | undefined;
  return spec?.kind === 'causal-lm' ? (spec as SequenceDatasetSpec) : undefined;
}
