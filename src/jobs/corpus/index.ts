export { readCorpus, scanCorpus, type ScannedCorpus } from './read-corpus.ts';
export { guessFormat } from './format.ts';
export { corpusBytes, lineOffsets, statCorpus } from './corpus-bytes.ts';
export type { CorpusFormat, CorpusOptions, CorpusSlice, CorpusRecord, CorpusStats, CorpusProblem } from './types.ts';
export { newCorpusStats } from './types.ts';
export { readSequenceCorpus, type SequenceRecord } from './sequence-records.ts';
