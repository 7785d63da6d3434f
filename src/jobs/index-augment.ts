/**
 * The slice of jobs/ that `distillery augment` needs: corpus reading, the augmenter and its models.
 * A second entry beside index.ts because that one re-exports the job runner, the queue, the store and
 * the exporters, which an augment run never uses and which cost a quarter of its start-up to parse.
 */
export { augmentFile } from './augment-file.ts';
export { AugmentModels, augmentModelsExample, type MissingModelHint } from './augment-models.ts';
export { makeAugmenterFactory, withCorpusSize } from './augmenter.ts';
export { newCorpusStats, scanCorpus } from './corpus/index.ts';
export { recipeSchema } from './recipe-field-schema.ts';
export type { JobTeacher } from './runner/run-job.ts';
