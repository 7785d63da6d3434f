/**
 * Reports of finished datasets, remembered: a finished dataset's rows and outputs no longer change, so
 * paging its examples or reopening its report does not rescan it. A dataset still being written (or one
 * whose manifest does not say it is done) is always recomputed.
 */
import type { DatasetReader } from '../store/index.ts';
import { buildDatasetReportYielding, type ReportOptions } from './dataset-report.ts';
import type { DatasetReport } from './report-types.ts';
import { buildSequenceStatsYielding, type SequenceReportSource } from './sequence-report.ts';
import type { SequenceStats } from './sequence-report-types.ts';

export class ReportCache {
  readonly #store: DatasetReader;
  readonly #max: number;
  readonly #entries = new Map<string, DatasetReport | SequenceStats>();

  constructor(store: DatasetReader, opts: { maxEntries?: number } = {}) {
    this.#store = store;
    this.#max = opts.maxEntries ?? 16;
  }

  /** The report, computed while the event loop keeps running (a large dataset takes seconds). */
  get(datasetId: string, opts: ReportOptions = {}): Promise<DatasetReport> {
    // the teachers are part of the key: labelling a finished dataset with another teacher adds one
    const teachers = () => this.#store.datasetTeachers(datasetId).map((t) => t.fingerprint);
    return this.#remember(datasetId, ['report', opts], teachers, () =>
      buildDatasetReportYielding(this.#store, datasetId, opts),
    );
  }

  /** The stats pass of a causal-LM dataset's report (its token strips are read apart, uncached). */
  getSequenceStats(source: SequenceReportSource, datasetId: string, teacher?: string): Promise<SequenceStats> {
    // the dataset's spec names its one teacher and the outputs stored
    const teachers = () => source.getDataset(datasetId)?.spec ?? null;
    return this.#remember(datasetId, ['sequence', teacher ?? null], teachers, () =>
      buildSequenceStatsYielding(source, datasetId, teacher),
    );
  }

  async #remember<T extends DatasetReport | SequenceStats>(
    datasetId: string,
    what: unknown,
    teachers: () => unknown,
    build: () => Promise<T>,
  ): Promise<T> {
    const record = this.#store.getDataset(datasetId);
    const done = (record?.manifest as { status?: unknown } | null | undefined)?.status === 'done';
    if (!record || !done) return build();
    const key = JSON.stringify([datasetId, record.created, record.manifest, teachers(), what]);
    const hit = this.#entries.get(key);
    if (hit) {
      // most recently used last, so the oldest is evicted first
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit as T;
    }
    const report = await build();
    this.#entries.set(key, report);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    return report;
  }
}
