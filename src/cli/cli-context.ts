/** What most commands need: the validated config and a teacher registry built from it. */
import { loadConfig, type Config } from '../config.ts';
import { configureS3 } from '../storage/s3-settings.ts';
import type { TeacherRegistry } from '../teacher/registry.ts';

export interface CliContext {
  config: Config;
  registry: TeacherRegistry;
}

export async function loadCliContext(opts: { config?: string; db?: string } = {}): Promise<CliContext> {
  const config = loadCliConfig(opts);
  return { config, registry: await openRegistry(config) };
}

export function loadCliConfig(opts: { config?: string; db?: string } = {}): Config {
  const config = loadConfig({ configFile: opts.config, db: opts.db });
  configureS3(config.s3);
  return config;
}

/** Imported on demand: a command that runs no teacher (an eda augment) starts without the inference stack. */
export async function openRegistry(config: Config): Promise<TeacherRegistry> {
  const { TeacherRegistry } = await import('../teacher/registry.ts');
  return TeacherRegistry.fromConfig(config, (msg) => process.stderr.write(`${msg}\n`));
}
