/** The top-level `distillery` command, and its help without the command modules (cli/command-table.ts). */
import { readFileSync } from 'node:fs';
import { Command, Help } from 'commander';
import { COMMAND_SUMMARIES } from './command-table.ts';

/** The program with its own options only: main.ts adds the commands the command line needs. */
export function newProgram(): Command {
  return new Command('distillery')
    .description('Make knowledge-distillation datasets: augment, label with a teacher, store soft labels, export.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError();
}

/**
 * Registers each command as a name and description only, from COMMAND_SUMMARIES: enough for the
 * top-level help and for commander's "Did you mean ...?" after a misspelt command. A placeholder never
 * runs: main.ts loads the real module whenever the command line names a command.
 */
export function registerCommandSummaries(program: Command): void {
  for (const [name, { description }] of Object.entries(COMMAND_SUMMARIES))
    program
      .command(name)
      .description(description)
      .action(() => {
        throw new Error(`internal: the ${name} command ran without its module loaded`);
      });
  // commander derives the term (`run [options] <job>`) from the options and arguments a placeholder lacks
  program.configureHelp({
    subcommandTerm(cmd) {
      const summary = Object.hasOwn(COMMAND_SUMMARIES, cmd.name()) ? COMMAND_SUMMARIES[cmd.name()] : undefined;
      if (!summary) return Help.prototype.subcommandTerm.call(this, cmd);
      return summary.usage ? `${cmd.name()} ${summary.usage}` : cmd.name();
    },
  });
}

/** package.json sits two folders up from both src/cli/ and the built dist/cli/. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}
