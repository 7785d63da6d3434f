/**
 * A job's export targets: one export per target and teacher. With several teachers each gets its own
 * files (`<dataset>.<teacher>`), since the exporter writes one teacher's outputs per file.
 */
import { DistilleryError } from '../core/errors.ts';
import { exportDataset, exportEnsemble, type EnsembleExport, type ExportResult } from '../export/index.ts';
import type { ExportSource, Store } from '../store/index.ts';
import type { JobSpec } from './job-schema.ts';
import { sequenceDatasetOf } from './sequence/sequence-dataset.ts';
import { exportSequenceDataset } from './sequence/sequence-export.ts';

/** A teacher given by registry name or by fingerprint (prefix), resolved among the dataset's teachers. */
export function resolveTeacherFingerprint(store: Store, dataset: string, teacher: string): string {
  const linked = store.datasetTeachers(dataset);
  const hit = linked.filter((t) => t.info?.name === teacher || t.fingerprint.startsWith(teacher));
  if (hit.length !== 1) {
    throw new DistilleryError(
      'NOT_FOUND',
      `dataset ${dataset} has ${hit.length === 0 ? 'no' : 'several'} teacher(s) matching "${teacher}"`,
      {
        hint: `its teachers: ${linked.map((t) => `${t.info?.name ?? '?'} (${t.fingerprint.slice(0, 12)})`).join(', ')}`,
      },
    );
  }
  return hit[0]!.fingerprint;
}

export function exportJobTargets(
  store: Store,
  job: JobSpec,
  dataset: string,
  command: string,
): { manifest: { rows: number; format: string }; manifestPath: string }[] {
  if (sequenceDatasetOf(store, dataset))
    return job.export.map((t) => exportSequenceDataset(store, dataset, { format: t.format, outDir: t.out, command }));
  return exportLabelledTargets(store, job, dataset, command);
}

/** A classifier dataset's targets from any export source: the store, or a job's parts (no store). */
export function exportLabelledTargets(
  source: ExportSource,
  job: JobSpec,
  dataset: string,
  command: string,
): ExportResult[] {
  const results: ExportResult[] = [];
  const linked = source.datasetTeachers(dataset);
  for (const target of job.export) {
    for (const t of linked) {
      const prefix = linked.length > 1 ? `${dataset}.${t.info?.name ?? t.fingerprint.slice(0, 12)}` : dataset;
      results.push(
        exportDataset(source, dataset, {
          format: target.format,
          outDir: target.out,
          teacher: t.fingerprint,
          prefix,
          command,
        }),
      );
    }
  }
  return results;
}

/** The `average: true` targets of a multi-teacher job: weighted mean probabilities per temperature. */
export function exportJobEnsembles(store: Store, job: JobSpec, dataset: string): EnsembleExport[] {
  const targets = job.export.filter((t) => t.average);
  if (targets.length === 0) return [];
  const linked = store.datasetTeachers(dataset);
  const members = job.teachers.map((t) => {
    const hit = linked.find((l) => l.info?.name === t.name);
    if (!hit) throw new DistilleryError('NOT_FOUND', `dataset ${dataset} has no teacher named ${t.name}`);
    return { fingerprint: hit.fingerprint, weight: t.weight };
  });
  return targets.map((t) => {
    if (t.format !== 'parquet')
      throw new DistilleryError('INVALID_INPUT', `export.average is written as Parquet, not ${t.format}`, {
        hint: 'use format: parquet for the averaged target',
      });
    return exportEnsemble(store, dataset, members, job.outputs.temperatures, t.out);
  });
}
