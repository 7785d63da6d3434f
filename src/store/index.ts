/** The store's public surface: only these exports are meant for other modules. */
export { openStore, Store, DATASET_ID_PATTERN, type StoreOptions } from './store.ts';
export type * from './repositories.ts';
export { inputHash, normalizeInput, normalizeText, PAIR_SEPARATOR } from './input-hash.ts';
export {
  componentName,
  componentsForSpec,
  parseComponent,
  specForComponents,
  layerCountsOf,
  topkOf,
  ENCODING_RANK,
  type Component,
  type LayerCounts,
} from './components.ts';
export { softmaxAt, klDivergence, logSumExp } from './probabilities.ts';
export { encodeTensor, decodeTensor, float16Payload, type DecodedTensor } from './codecs/tensor-codec.ts';
export { encodeTopK, decodeTopK } from './codecs/topk-codec.ts';
export { encodeTeacherOutput, decodeTeacherOutput, type EncodedComponent } from './codecs/teacher-output-codec.ts';
export { float32ToFloat16Bits, float16BitsToFloat32, encodeFloat16, decodeFloat16 } from '../core/float16.ts';
export {
  SequenceOutputs,
  type SequenceComponentStat,
  type SequencePutResult,
  type StoredSequenceBlobs,
  type SequenceOutputsOptions,
} from './sequence-outputs.ts';
export {
  DatasetSequenceRepository,
  type DatasetSequenceRow,
  type DatasetSequenceCounts,
} from './dataset-sequences-repository.ts';
export { sequenceComponents, sequenceHash } from './sequence-components.ts';
export type { SequenceSummary } from './sequence-summaries.ts';
export {
  encodeSequenceTopK,
  topKErrorBound,
  DEFAULT_TOPK_QUANTIZER,
  LOGPROB_FLOOR,
  type TopKQuantizer,
} from './codecs/sequence-topk-codec.ts';
export { decodeSequenceTopK, StoredTopK } from './codecs/sequence-topk-decode.ts';
export { BUSY_TIMEOUT_MS } from './sqlite.ts';
export { decodeHeldRows, type HeldRow } from './labelled-pages.ts';
export type { DatasetLockRow, DatasetLockTable, ClaimResult } from './dataset-lock-table.ts';
export type { PruneResult } from './output-pruning.ts';
export type * from './types.ts';
export {
  checkStoreFile,
  isCorruption,
  recoverStoreFile,
  recoveryHint,
  type CheckResult,
  type TableRecovery,
} from './integrity.ts';
export { IntegrityProbe, type IntegrityStatus } from './integrity-probe.ts';
