export { readCorpus, scanCorpus, type ScannedCorpus } from './read-corpus.ts';
export { guessFormat } from './format.ts';
export type { CorpusFormat, CorpusOptions, CorpusRecord, CorpusStats, CorpusProblem } from './types.ts';
export { newCorpusStats } from './types.ts';
export { readSequenceCorpus, type SequenceRecord } from './sequence-records.ts';
