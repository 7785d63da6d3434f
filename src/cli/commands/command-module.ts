import type { Command } from 'commander';

/** What every file in commands/ exports: main.ts imports the one the command line names and calls this. */
export interface CliCommandModule {
  register(program: Command): void;
}
