/** Labelling: the one gate from inputs to stored teacher outputs, and the HTTP soft-labeler on top of it. */
export { labelInputs, type LabelOptions, type LabelResult, type LabelStats, type Submit } from './gate.ts';
export type { LabelCache } from './label-cache.ts';
export { StoreLabelCache } from './store-label-cache.ts';
export { estimateTokens } from './token-estimate.ts';
export { fitsTokenBudget, planLengthSortedBatches, tokenBudgetBatches } from './batch-plan.ts';
export { MicroBatcher, specKey, type BatchStats, type MicroBatcherOptions } from './micro-batcher.ts';
export { SoftLabeler, teacherUnavailable, type SoftLabels, type TeacherProvider } from './soft-labeler.ts';
export { SequenceBatcher, type SequenceJob, type SequenceRunner } from './sequence-batcher.ts';
export { CausalLabeler, type CausalProvider, type ScoredSequences } from './causal-labeler.ts';
