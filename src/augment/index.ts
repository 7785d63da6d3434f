/** The augmentation engine's public surface: other modules import from here only. */
export { augmentCorpus, augmentStream, emptyStats } from './augment-corpus.ts';
export type { AugmentOptions, AugmentResult, AugmentStats, OpCounters } from './augment-corpus.ts';
export {
  compileRecipe,
  compileFlow,
  RecipeSpecSchema,
  remoteRecipeSpecSchema,
  makeRecipeSpecSchema,
  ConstraintsSchema,
} from './recipe-schema.ts';
export type { RecipeSpec, FlowNode, CompileOptions } from './recipe-schema.ts';
export { PATH_PARAMS } from './ops/param-schemas.ts';
export type { Recipe } from './recipe.ts';
export type { AugmentOp, OpContext, OpItem, OpResult, SkipReason, OpNeed } from './op.ts';
export type {
  Scorer,
  FillMasker,
  FillCandidate,
  Translator,
  TranslateRequest,
  SamplingOptions,
  TextGenerator,
  GenerationPrompt,
  GeneratedText,
} from './model-interfaces.ts';
export { decideTeacherFilter } from './teacher-filter.ts';
export type { TeacherFilter, FilterDecision, FilterAction } from './teacher-filter.ts';
export { normalizeText, dedupKey } from './dedup.ts';
export { OP_NAMES, createOp } from './ops/registry.ts';
export { BUILTIN_RECIPES, edaSettings } from './recipes/index.ts';
export { translationDirections } from './translation-directions.ts';
export { TokenizedText } from './text/tokenized-text.ts';
export { sharedWordNet } from './lexicon/wordnet-index.ts';
