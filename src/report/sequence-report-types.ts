/**
 * The JSON of GET /v1/datasets/:id/report for a causal-LM dataset (`kind: 'sequence'`); classifier
 * datasets keep DatasetReport (report-types.ts). Row p of a sequence is position t: the teacher's
 * distribution over token t+1, so token i of a strip is coloured by the row of position i - 1.
 */
import type { SequenceOutputSpec } from '../core/sequence-types.ts';
import type { Histogram } from './histogram.ts';

export interface SequenceReportTeacher {
  name: string;
  fingerprint: string;
  spec: SequenceOutputSpec;
}

/** What one pass over every stored row gives; cached for finished datasets. */
export interface SequenceStats {
  dataset: { id: string; name: string; created: string };
  teacher: SequenceReportTeacher | null;
  /** the dataset's causal-LM teacher (one per dataset; a list like DatasetReport's) */
  teachers: { name: string; fingerprint: string }[];
  totals: {
    /** corpus rows, refused ones included */
    sequences: number;
    /** corpus rows with every part of the teacher's spec stored */
    labelled: number;
    /** corpus rows the teacher refused (bad input: empty prompt, too long, ...) */
    refused: number;
    /** tokens of the labelled sequences */
    tokens: number;
    /** scored positions of the labelled sequences (the rows of every output) */
    positions: number;
    truncated: number;
  };
  /** entropy (nats) of the teacher's next-token distribution per scored position; null without `target` */
  entropy: Histogram | null;
  /** probability mass of the stored top-k per scored position (1 - tail mass) on [0, 1]; null without top-k */
  mass: Histogram | null;
  summary: {
    meanEntropy: number | null;
    /** mean log-prob of the actual next token */
    meanTargetLogprob: number | null;
    /** exp(-meanTargetLogprob) */
    perplexity: number | null;
    /** share of positions whose actual next token is the teacher's most likely one */
    top1Share: number | null;
    meanMass: number | null;
  };
}

export interface StripAlternative {
  id: number;
  /** the token's text when the teacher's tokenizer is at hand */
  text?: string;
  logprob: number;
}

export interface StripToken {
  id: number;
  text?: string;
  /** set when the previous position is scored: the teacher's view of this token */
  logprob?: number;
  rank?: number;
  /** entropy of the distribution this token was drawn against */
  entropy?: number;
  /** the teacher's most likely tokens at this place */
  alternatives?: StripAlternative[];
}

export interface SequenceSample {
  id: string;
  /** tokens of the sequence; the strip shows at most the first `stripTokens` */
  length: number;
  truncated: boolean;
  /** false when the teacher's outputs of this sequence are not stored (or the row was refused) */
  labelled: boolean;
  /** the row the teacher refused: the input field at fault and why */
  refused?: { field: string; message: string };
  strip: StripToken[];
}

export interface SequenceReport extends SequenceStats {
  kind: 'sequence';
  samples: SequenceSample[];
  /** index of the first sample row in the dataset */
  sampleOffset: number;
  /** whether token texts come from the teacher's tokenizer (else the page shows ids) */
  tokenTexts: boolean;
}
