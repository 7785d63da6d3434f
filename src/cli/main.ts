/** The `distillery` command line. Each subcommand lives in its own file under commands/. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { isDistilleryError } from '../core/errors.ts';
import { COMMAND_MODULES, type CliCommandModule } from './command-table.ts';

const program = new Command('distillery')
  .description('Make knowledge-distillation datasets: augment, label with a teacher, store soft labels, export.')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .showHelpAfterError();
for (const command of await Promise.all(commandsFor(process.argv.slice(2)).map((load) => load())))
  command.register(program);

/**
 * The one module the command line names; none for a bare `--version`; every one otherwise (help, no
 * command, a misspelt one), since listing commands or suggesting the closest name needs them all.
 */
function commandsFor(args: readonly string[]): Array<() => Promise<CliCommandModule>> {
  const first = args[0];
  if (first !== undefined && Object.hasOwn(COMMAND_MODULES, first)) return [COMMAND_MODULES[first]!];
  if (args.length === 1 && (first === '-V' || first === '--version')) return [];
  return Object.values(COMMAND_MODULES);
}

/** package.json sits two folders up from both src/cli/ and the built dist/cli/. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // One line on failure; the stack only when asked for.
  const line = isDistilleryError(err) ? err.toLine() : err instanceof Error ? err.message : String(err);
  process.stderr.write(`distillery: ${line}\n`);
  // config.ts (zod schemas and all) loads only on this failure path, not in every start-up
  const { debugStacks } = await import('../config.ts');
  if (debugStacks()) console.error(err);
  process.exitCode = 1;
}
