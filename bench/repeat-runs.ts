/**
 * hyperfine-style repeated runs of whole shell commands, interleaved run by run so that load swings hit
 * every command alike: median, min and max wall seconds, and the median CPU seconds (user + sys of the
 * command's processes, from bash's `times`), which moves less with the load of other processes than wall
 * time does on a shared machine.
 *
 *   npx tsx bench/repeat-runs.ts --runs 10 'LABEL=COMMAND' ['LABEL=COMMAND' ...]
 *
 * A command that exits non-zero stops the run (its stderr is shown).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '10' } },
});
const runs = Number(values.runs);
const rows = positionals.map((arg) => {
  const at = arg.indexOf('=');
  if (at < 1) throw new Error(`'${arg}' is not LABEL=COMMAND`);
  return { label: arg.slice(0, at), command: arg.slice(at + 1), wall: [] as number[], cpu: [] as number[] };
});

const load0 = os.loadavg()[0]!;
for (let r = 0; r < runs; r++)
  for (const row of rows) {
    const t0 = performance.now();
    const res = spawnSync('bash', ['-c', `{ ${row.command}; } >/dev/null; s=$?; times; exit $s`], { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (res.status !== 0) throw new Error(`${row.label} exited ${res.status}: ${res.stderr}`);
    // `times` prints the shell's own user/sys, then its children's: "0m0.391s 0m0.052s"
    const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(res.stdout.trim())!;
    row.wall.push(wall);
    row.cpu.push(Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]));
  }

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
console.log(
  `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, ${runs} interleaved runs, load average ` +
    `${load0.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after, ${new Date().toISOString()}`,
);
console.log('| command | median wall s | min | max | median CPU s |\n| --- | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.label} | ${median(r.wall).toFixed(3)} | ${Math.min(...r.wall).toFixed(3)} | ${Math.max(...r.wall).toFixed(3)} | ${median(r.cpu).toFixed(3)} |`,
  );
