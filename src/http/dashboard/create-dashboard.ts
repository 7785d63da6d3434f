/** Wires the dashboard from the service's parts: one call in the composition root. */
import type { AugmentModels } from '../../jobs/index.ts';
import { tokenLabeler, tokenTexter } from '../../report/token-labels.ts';
import type { DatasetCatalog, SequenceDatasetReader } from '../../store/index.ts';
import type { TeacherRegistry } from '../../teacher/registry.ts';
import type { RouteModule } from '../app.ts';
import { CorpusCatalog } from './corpus-catalog.ts';
import { dashboardModule } from './dashboard-routes.ts';

export interface Dashboard {
  module: RouteModule;
  corpora: CorpusCatalog;
}

export function createDashboard(opts: {
  store: DatasetCatalog & SequenceDatasetReader;
  registry: TeacherRegistry;
  corporaDirs: readonly string[];
  augmentModels?: AugmentModels;
}): Dashboard {
  const { registry } = opts;
  const corpora = new CorpusCatalog(opts.corporaDirs);
  const modelDir = (name: string) => (registry.has(name) ? registry.resolveDir(registry.config(name)) : undefined);
  const tokenLabels = tokenLabeler(modelDir);
  return {
    module: dashboardModule({
      store: opts.store,
      corpora,
      tokenLabels,
      tokenTexts: tokenTexter(modelDir),
      ...(opts.augmentModels ? { augmentModels: opts.augmentModels } : {}),
    }),
    corpora,
  };
}
