/** `distillery store check | recover`: say whether the SQLite store is damaged, and save what is readable. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { loadConfig } from '../../config.ts';
import { DistilleryError } from '../../core/errors.ts';
import { checkStoreFile, recoverStoreFile } from '../../store/index.ts';

interface Flags {
  db?: string;
  config?: string;
  quick?: boolean;
  out?: string;
}

const dbOf = (opts: Flags): string => loadConfig({ configFile: opts.config, db: opts.db }).db;

export function registerStore(program: Command): void {
  const store = program.command('store').description('Check the SQLite store for damage, and recover what is readable');

  store
    .command('check')
    .description("Run SQLite's integrity check on the store (read-only); exit status 1 when it is damaged")
    .option('--db <file>', 'SQLite store (default from the config)')
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--quick', 'quick_check: pages and records only, without cross-checking indexes (faster)')
    .addHelpText('after', '\nExample:\n  distillery store check --db data/distillery.db')
    .action((opts: Flags) => {
      const db = dbOf(opts);
      const r = checkStoreFile(db, { quick: opts.quick ?? false });
      if (r.ok) {
        console.log(`${db}: ok`);
        return;
      }
      console.log(`${db}: damaged`);
      for (const p of r.problems) console.log(`  ${p}`);
      console.log(`recover what is readable with: distillery store recover --db ${db} --out NEW.db`);
      process.exitCode = 1;
    });

  store
    .command('recover')
    .description('Copy every readable row of a damaged store into a new store file (the old one is left as it is)')
    .option('--db <file>', 'the damaged SQLite store (default from the config)')
    .option('--config <file>', 'config file (YAML or JSON)')
    .requiredOption('--out <file>', 'the new store file to write (must not exist)')
    .addHelpText('after', '\nExample:\n  distillery store recover --db data/distillery.db --out data/recovered.db')
    .action((opts: Flags) => {
      const db = dbOf(opts);
      if (!existsSync(db)) throw new DistilleryError('NOT_FOUND', `no store at ${db}`, { hint: 'check --db' });
      const report = recoverStoreFile(db, opts.out!);
      for (const t of report)
        console.log(
          `${t.table.padEnd(18)} ${String(t.copied).padStart(9)} rows copied${t.unreadableRanges ? `, ${t.unreadableRanges} unreadable range(s) skipped` : ''}`,
        );
      const after = checkStoreFile(opts.out!);
      console.log(`${opts.out}: ${after.ok ? 'ok' : `still reports problems: ${after.problems.join('; ')}`}`);
      console.log(`check it (distillery datasets list --db ${opts.out}), then point --db / DISTILLERY_DB at it`);
      if (!after.ok) process.exitCode = 1;
    });
}

/** main.ts loads this module only when the command line names `store`. */
export { registerStore as register };
