/** What a corpus reader yields and how it is configured. */
import type { TextInput } from '../../core/types.ts';

export type CorpusFormat = 'jsonl' | 'csv' | 'tsv' | 'text';

export interface CorpusOptions {
  path: string;
  /** guessed from the file extension when absent */
  format?: CorpusFormat;
  /** JSONL key or CSV/TSV header of the text; default `text`, else `sentence`, else `text_a` */
  textColumn?: string;
  /** second segment of a pair; default `text_b` when the file has it */
  pairColumn?: string;
  /** gold label; default `label` when the file has it */
  labelColumn?: string;
  /**
   * stable record id; default: `id` when the records have it, else the record's line number;
   * false: line numbers even when the records have an `id`
   */
  idColumn?: string | false;
  /** skip and count malformed lines instead of stopping at the first */
  skipInvalid?: boolean;
  /** read only these bytes (a distributed job's chunk); not part of a job file */
  slice?: CorpusSlice;
}

/**
 * A chunk's bytes: [start, end), whose first line is `firstLine`, after the head [0, head) that a reader
 * needs before any record (a CSV header; the JSONL line whose object names the columns). start <= head:
 * the bytes [0, end) in one piece.
 */
export interface CorpusSlice {
  head: number;
  start: number;
  end: number;
  firstLine: number;
}

export interface CorpusRecord {
  /** 1-based line where the record starts */
  line: number;
  id: string;
  /** the column the id came from; absent when the id is the line number */
  idColumn?: string;
  input: TextInput;
  label: string | number | null;
}

export interface CorpusProblem {
  line: number;
  message: string;
}

/** Counts filled while a reader runs; read them after the iteration ends. */
export interface CorpusStats {
  records: number;
  skipped: number;
  /** the first few skipped lines, for the report */
  problems: CorpusProblem[];
}

export const newCorpusStats = (): CorpusStats => ({ records: 0, skipped: 0, problems: [] });
