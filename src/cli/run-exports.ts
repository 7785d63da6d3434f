/** Write a finished job's export targets and say where they went. */
import { exportJobEnsembles, exportJobTargets, type JobSpec } from '../jobs/index.ts';
import type { Runtime } from './job-runtime.ts';

export async function runExports(rt: Runtime, job: JobSpec, dataset: string): Promise<void> {
  if (job.export.length === 0) return;
  const command = `distillery ${process.argv.slice(2).join(' ')}`;
  for (const r of exportJobTargets(rt.store, job, dataset, command)) {
    console.log(`exported ${r.manifest.rows} rows of ${dataset} as ${r.manifest.format}: ${r.manifestPath}`);
  }
  for (const e of exportJobEnsembles(rt.store, job, dataset)) {
    console.log(`exported ${e.rows} rows of weighted ensemble probabilities: ${e.manifestPath}`);
  }
}
