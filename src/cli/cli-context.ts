/** What most commands need: the validated config and a teacher registry built from it. */
import { loadConfig, type Config } from '../config.ts';
import { TeacherRegistry } from '../teacher/registry.ts';

export interface CliContext {
  config: Config;
  registry: TeacherRegistry;
}

export async function loadCliContext(opts: { config?: string; db?: string } = {}): Promise<CliContext> {
  const config = loadConfig({ configFile: opts.config, db: opts.db });
  const registry = TeacherRegistry.fromConfig(config, (msg) => process.stderr.write(`${msg}\n`));
  return { config, registry };
}
