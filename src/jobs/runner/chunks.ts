/** Corpus records of one shard, grouped into fixed-size chunks numbered from 0. */
import { DistilleryError } from '../../core/errors.ts';
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

/**
 * Records in the shard, for progress totals; validates every line on the way. Ids from an id column must be
 * unique (a dataset holds each id once, and resuming counts committed records): only those ids are kept.
 */
export async function countShardRecords(
  corpus: CorpusOptions,
  shard: Shard | undefined,
  hash: (r: CorpusRecord) => string,
  stats: CorpusStats,
): Promise<number> {
  let n = 0;
  const checkId = uniqueIds(corpus);
  for await (const r of readCorpus(corpus, stats)) {
    checkId(r);
    if (inShard(hash(r), shard)) n++;
  }
  return n;
}

/** A check, record by record in corpus order, that ids from an id column do not repeat. */
export function uniqueIds(corpus: CorpusOptions): (r: CorpusRecord) => void {
  // line-number ids are unique by construction: only ids from a column are remembered
  const seen = new Map<string, number>();
  return (r) => {
    if (r.idColumn === undefined) return;
    const first = seen.get(r.id);
    if (first !== undefined) {
      const useLines =
        corpus.idColumn === undefined
          ? 'set idColumn: false (--no-id-column) to use line numbers'
          : 'drop idColumn to use line numbers';
      throw new DistilleryError(
        'INVALID_INPUT',
        `${corpus.path}:${r.line}: id "${r.id}" repeats the id of line ${first}`,
        {
          hint: `ids in "${r.idColumn}" must be unique; ${useLines}`,
        },
      );
    }
    seen.set(r.id, r.line);
  };
}
