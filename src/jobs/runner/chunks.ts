/** Corpus records of one shard, grouped into fixed-size chunks numbered from 0. */
import { readCorpus, type CorpusOptions, type CorpusRecord, type CorpusStats } from '../corpus/index.ts';
import { inShard, type Shard } from './shard.ts';

export interface RecordChunk {
  index: number;
  records: CorpusRecord[];
  /** records consumed up to and including this chunk */
  recordsThrough: number;
}

export async function* recordChunks(
  corpus: CorpusOptions,
  size: number,
  shard: Shard | undefined,
  hash: (r: CorpusRecord) => string,
  stats?: CorpusStats,
  skipChunks = 0,
): AsyncGenerator<RecordChunk> {
  let records: CorpusRecord[] = [];
  let index = 0;
  let through = 0;
  for await (const r of readCorpus(corpus, stats)) {
    if (!inShard(hash(r), shard)) continue;
    through++;
    // resumed chunks are counted, not kept: nothing of them is recomputed
    if (index < skipChunks) {
      if (through % size === 0) index++;
      continue;
    }
    records.push(r);
    if (records.length === size) {
      yield { index: index++, records, recordsThrough: through };
      records = [];
    }
  }
  if (records.length > 0) yield { index, records, recordsThrough: through };
}

/** Records in the shard, for progress totals; validates every line on the way (nothing is kept). */
export async function countShardRecords(corpus: CorpusOptions, shard: Shard | undefined, hash: (r: CorpusRecord) => string, stats: CorpusStats): Promise<number> {
  let n = 0;
  for await (const r of readCorpus(corpus, stats)) if (inShard(hash(r), shard)) n++;
  return n;
}
