/**
 * main.ts loads only the command module the command line names, through cli/command-table.ts: a name
 * there that differs from the module's own `.command(NAME)` would make that command unreachable. The
 * top-level help loads none (test/cli/startup-modules.test.ts), printed from the table's summaries: they
 * must say what the modules say.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { COMMAND_MODULES, COMMAND_SUMMARIES } from '../../src/cli/command-table.ts';
import { newProgram, registerCommandSummaries } from '../../src/cli/program.ts';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'distillery.js');

test('each command-table entry loads the module that registers exactly that command', async () => {
  for (const [name, load] of Object.entries(COMMAND_MODULES)) {
    const program = new Command('distillery');
    (await load()).register(program);
    assert.deepEqual(
      program.commands.map((c) => c.name()),
      [name],
      `command-table entry ${name}`,
    );
  }
});

test('--help still lists every command, and a misspelt command gets the closest name', () => {
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  for (const name of Object.keys(COMMAND_MODULES)) assert.match(help.stdout, new RegExp(`^  ${name}\\b`, 'm'));
  const typo = spawnSync(process.execPath, [BIN, 'agument'], { encoding: 'utf8' });
  assert.notEqual(typo.status, 0);
  assert.match(typo.stderr, /Did you mean augment\?/);
});

test("a subcommand's own --help and --version answer", () => {
  const sub = spawnSync(process.execPath, [BIN, 'datasets', 'list', '--help'], { encoding: 'utf8' });
  assert.equal(sub.status, 0, sub.stderr);
  assert.match(sub.stdout, /Usage: distillery datasets list/);
  const version = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('the top-level help printed from the summaries is byte for byte the help of the modules themselves', async () => {
  assert.deepEqual(Object.keys(COMMAND_SUMMARIES), Object.keys(COMMAND_MODULES), 'same commands, same order');
  const summaries = newProgram();
  registerCommandSummaries(summaries);
  const modules = newProgram();
  for (const load of Object.values(COMMAND_MODULES)) (await load()).register(modules);
  // one command at a time first, so that a failure names the summary to update in cli/command-table.ts
  const row = (program: Command, name: string) => {
    const help = program.createHelp();
    const cmd = program.commands.find((c) => c.name() === name)!;
    return `${help.subcommandTerm(cmd)}  ${help.subcommandDescription(cmd)}`;
  };
  for (const name of Object.keys(COMMAND_MODULES))
    assert.equal(row(summaries, name), row(modules, name), `COMMAND_SUMMARIES.${name}`);
  assert.equal(summaries.helpInformation(), modules.helpInformation());
});
