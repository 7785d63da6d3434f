/** Wires the dashboard from the service's parts: one call in the composition root. */
import path from 'node:path';
import type { Store } from '../../store/index.ts';
import { tokenLabeler } from '../../report/token-labels.ts';
import type { TeacherRegistry } from '../../teacher/registry.ts';
import type { RouteModule } from '../app.ts';
import { CorpusCatalog } from './corpus-catalog.ts';
import { dashboardModule } from './dashboard-routes.ts';
import { JobBoard } from './job-board.ts';

export interface Dashboard {
  module: RouteModule;
  jobs: JobBoard;
  corpora: CorpusCatalog;
  /** cancels running jobs (after their current chunk) and waits for them */
  close(): Promise<void>;
}

export function createDashboard(opts: { store: Store; registry: TeacherRegistry; sharedDir: string; dbPath: string }): Dashboard {
  const corpora = new CorpusCatalog({ sharedDir: opts.sharedDir, uploadsDir: path.join(path.dirname(opts.dbPath), 'uploads') });
  const jobs = new JobBoard({ store: opts.store, teacher: (name) => opts.registry.get(name), hasTeacher: (name) => opts.registry.has(name) });
  const { registry } = opts;
  const tokenLabels = tokenLabeler((name) => (registry.has(name) ? registry.resolveDir(registry.config(name)) : undefined));
  return { module: dashboardModule({ store: opts.store, jobs, corpora, tokenLabels }), jobs, corpora, close: () => jobs.close() };
}
