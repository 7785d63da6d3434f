/**
 * `distillery eval` for a causal-LM (text-generation) teacher: perplexity and next-token accuracy on
 * the scored tokens of a corpus of {prompt, response} / {messages} / {text} rows. Labels cache-first
 * into the store through the sequence labeler (the target component at T = 1), so a later job on the
 * same rows computes nothing again, then reads the stored values back; rows the teacher refuses are
 * counted and listed with their field, never scored.
 */
import type { SequenceOutputSpec } from '../core/sequence-types.ts';
import {
  labelSequences,
  newCorpusStats,
  readSequenceCorpus,
  type CorpusOptions,
  type SequenceRecord,
} from '../jobs/index.ts';
import type { Store } from '../store/index.ts';
import type { CausalTeacher } from '../teacher/causal/causal-teacher.ts';
import type { SequenceOptions } from '../teacher/causal/sequence-input.ts';

export interface SequenceEvalReport {
  teacher: { name: string; fingerprint: string; vocabSize: number };
  rows: number;
  refused: number;
  /** the first refused rows, with the field at fault */
  refusedRows: { id: string; field: string; message: string }[];
  /** scored tokens (the next tokens of scored positions) */
  tokens: number;
  /** exp(mean negative log-likelihood of the scored tokens) */
  perplexity: number;
  meanNll: number;
  /** share of scored tokens that are the teacher's most likely next token (rank 0), and within its top 5 */
  accuracy: number;
  top5Accuracy: number;
  /** mean entropy (nats) of the teacher's next-token distributions */
  meanEntropy: number;
  /** log(vocabulary): the entropy of a uniform guess, for scale */
  uniformEntropy: number;
}

const EVAL_SPEC: SequenceOutputSpec = { temperature: 1, target: true };
const CHUNK_ROWS = 256;

export async function evaluateCausalTeacher(
  teacher: CausalTeacher,
  store: Store,
  corpus: CorpusOptions,
  opts: Partial<SequenceOptions> = {},
): Promise<SequenceEvalReport> {
  const { name, fingerprint, vocabSize } = teacher.info;
  const r = { rows: 0, refused: 0, tokens: 0, nll: 0, top1: 0, top5: 0, entropy: 0 };
  const refusedRows: SequenceEvalReport['refusedRows'] = [];
  const score = async (chunk: SequenceRecord[]) => {
    const report = await labelSequences(teacher, store, chunk, EVAL_SPEC, opts);
    r.rows += chunk.length;
    r.refused += report.errors.length;
    for (const e of report.errors) if (refusedRows.length < 10) refusedRows.push(e);
    const stored = store.sequences.getMany(
      fingerprint,
      report.refs.map((x) => x.hash),
      EVAL_SPEC,
    );
    for (const t of stored) {
      const tg = t?.target;
      if (!tg) continue;
      for (let p = 0; p < tg.logprob.length; p++) {
        r.tokens++;
        r.nll -= tg.logprob[p]!;
        r.entropy += tg.entropy[p]!;
        if (tg.rank[p] === 0) r.top1++;
        if (tg.rank[p]! < 5) r.top5++;
      }
    }
  };
  let chunk: SequenceRecord[] = [];
  for await (const record of readSequenceCorpus(corpus, newCorpusStats())) {
    chunk.push(record);
    if (chunk.length >= CHUNK_ROWS) {
      await score(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await score(chunk);
  const per = (v: number) => (r.tokens > 0 ? v / r.tokens : NaN);
  return {
    teacher: { name, fingerprint, vocabSize },
    rows: r.rows,
    refused: r.refused,
    refusedRows,
    tokens: r.tokens,
    perplexity: Math.exp(per(r.nll)),
    meanNll: per(r.nll),
    accuracy: per(r.top1),
    top5Accuracy: per(r.top5),
    meanEntropy: per(r.entropy),
    uniformEntropy: Math.log(vocabSize),
  };
}

export function formatSequenceEvalReport(e: SequenceEvalReport): string {
  const lines = [
    `teacher ${e.teacher.name} (${e.teacher.fingerprint.slice(0, 12)}), vocabulary ${e.teacher.vocabSize}`,
    `rows ${e.rows}, scored tokens ${e.tokens}${e.refused > 0 ? `, ${e.refused} rows refused` : ''}`,
    `perplexity ${e.perplexity.toFixed(3)} (mean NLL ${e.meanNll.toFixed(4)} nats; a uniform guess: ${e.teacher.vocabSize})`,
    `next-token accuracy ${e.accuracy.toFixed(4)}, top-5 ${e.top5Accuracy.toFixed(4)}`,
    `mean entropy ${e.meanEntropy.toFixed(4)} nats (uniform ${e.uniformEntropy.toFixed(4)})`,
  ];
  for (const x of e.refusedRows) lines.push(`  refused ${x.id}: ${x.field}: ${x.message}`);
  return lines.join('\n');
}
