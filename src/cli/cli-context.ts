/** What most commands need: the validated config and a teacher registry built from it. */
import path from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { TeacherRegistry } from '../teacher/registry.ts';

export interface CliContext {
  config: Config;
  registry: TeacherRegistry;
}

export async function loadCliContext(opts: { config?: string; db?: string } = {}): Promise<CliContext> {
  const config = loadConfig({ configFile: opts.config, db: opts.db });
  const registry = new TeacherRegistry(config.teachers, {
    modelsDir: config.modelsDir,
    allowRemote: config.allowRemoteModels,
    hubCacheDir: path.join(path.dirname(config.db), 'hub-cache'),
    log: (msg) => process.stderr.write(`${msg}\n`),
  });
  return { config, registry };
}
