/**
 * The job journal beside the database (`<db>-jobs.json`): each HTTP job's request and state, so jobs
 * that were queued or running when the server stopped (signal or crash) are started again on the next
 * start, and finished ones stay listed. Written whole to a temporary file and renamed.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';

export type JournalState = 'queued' | 'running' | 'done' | 'up-to-date' | 'cancelled' | 'failed';

export interface JournalEntry {
  id: string;
  /** the request body as received (paths still relative to the corpora folders) */
  request: unknown;
  state: JournalState;
  /** ISO 8601 times */
  submitted: string;
  started?: string;
  finished?: string;
  error?: { code: string; message: string };
}

/** finished jobs kept in the journal (queued and running ones are always kept) */
const KEEP_FINISHED = 200;

export const isPending = (e: JournalEntry): boolean => e.state === 'queued' || e.state === 'running';

export function readJournal(file: string, logger: Logger): JournalEntry[] {
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { jobs?: JournalEntry[] };
    return Array.isArray(parsed.jobs) ? parsed.jobs : [];
  } catch (err) {
    logger.warn({ err, file }, 'unreadable job journal ignored');
    return [];
  }
}

/** Writes the entries in order, dropping all but the last KEEP_FINISHED finished ones. */
export function writeJournal(file: string, entries: readonly JournalEntry[]): void {
  const finished = entries.filter((e) => !isPending(e));
  const keep = new Set([...entries.filter(isPending), ...finished.slice(-KEEP_FINISHED)]);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ jobs: entries.filter((e) => keep.has(e)) }, null, 1));
  renameSync(tmp, file);
}
