/** The `distillery` command line. Each subcommand lives in its own file under commands/. */
import { isDistilleryError } from '../core/errors.ts';
import { COMMAND_MODULES } from './command-table.ts';
import { newProgram, registerCommandSummaries } from './program.ts';

const program = newProgram();
const args = process.argv.slice(2);
const named = commandNamed(args);
if (named) (await COMMAND_MODULES[named]!()).register(program);
// a bare --version needs no command; the top-level help, no command, or a misspelt one need their names only
else if (!(args.length === 1 && (args[0] === '-V' || args[0] === '--version'))) registerCommandSummaries(program);

/**
 * The one command the command line names (`run ...`, `help run`, `-- run ...`), whose module is the only one
 * loaded. No other program option can come before a command: -V and -h answer on their own.
 */
function commandNamed(argv: readonly string[]): string | undefined {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const name = args[0] === 'help' ? args[1] : args[0];
  return name !== undefined && Object.hasOwn(COMMAND_MODULES, name) ? name : undefined;
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
