/**
 * What opening a pruned graph costs: each run is a fresh process that loads the bench teacher with
 * pruned graphs, asks for the logits and the [CLS]-pooled last hidden state (the first request prunes
 * the model and opens the pruned graph) and reports that request's wall time, the process's peak RSS
 * and a hash of the outputs. With --baseline, the same runs of an older commit (extracted with
 * `git archive` into .tmp/), interleaved with this tree's, and the hashes must agree.
 *
 *   npx distillery models build-bench bench/models
 *   npx tsx bench/pruned-graph-open.ts [--model bench/models/bench-bert-base] [--dtype fp32] [--rounds 2] [--baseline GIT_REF]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './corpus.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(REPO_ROOT, 'bench/models/bench-bert-base') },
    dtype: { type: 'string', default: 'fp32' },
    rounds: { type: 'string', default: '2' },
    baseline: { type: 'string' },
    child: { type: 'string' },
  },
});

if (values.child) {
  const { OnnxTeacher } = await import(path.join(values.child, 'src/teacher/onnx-teacher.ts'));
  const teacher = await OnnxTeacher.load({ name: 'bench', dir: values.model, dtype: values.dtype, pruneOutputs: true });
  const texts = [{ text: 'a good movie' }, { text: 'the plot is thin , but the acting is wonderful' }];
  const spec = { logits: true, temperatures: [], hidden: { layers: 'last', pooling: 'cls' }, encoding: 'fp32' };
  const t0 = performance.now();
  const out: { logits: Float32Array; hidden: { value: { data: Float32Array } }[] }[] = await teacher.infer(texts, spec);
  const ms = performance.now() - t0;
  const hash = createHash('sha256');
  for (const o of out) for (const a of [o.logits, ...o.hidden.map((h) => h.value.data)]) hash.update(a);
  console.log(
    JSON.stringify({ ms, rssMB: process.resourceUsage().maxRSS / 1024, hash: hash.digest('hex').slice(0, 16) }),
  );
  await teacher.dispose();
  process.exit(0);
}

const trees: [string, string][] = [['this tree', REPO_ROOT]];
if (values.baseline) {
  const dir = path.join(REPO_ROOT, '.tmp', `pruned-open-${values.baseline}`);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${values.baseline} src package.json | tar -x -C ${dir}`], {
      cwd: REPO_ROOT,
    });
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  }
  trees.push([values.baseline, dir]);
}

const self = path.join(REPO_ROOT, 'bench/pruned-graph-open.ts');
const hashes = new Set<string>();
console.log(`${path.basename(values.model!)} ${values.dtype}, ${values.rounds} rounds`);
console.log('| tree | first request (prune, open, run), ms | peak RSS, MB | outputs sha256 |');
console.log('| --- | ---: | ---: | --- |');
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, root] of trees) {
    const args = ['--import', 'tsx', self, '--child', root, '--model', values.model!, '--dtype', values.dtype!];
    const line = execFileSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim().split('\n').at(-1)!;
    const r = JSON.parse(line) as { ms: number; rssMB: number; hash: string };
    hashes.add(r.hash);
    console.log(`| ${name} | ${r.ms.toFixed(0)} | ${r.rssMB.toFixed(0)} | ${r.hash} |`);
  }
}
console.log(hashes.size === 1 ? 'outputs identical in every run' : `OUTPUTS DIFFER: ${[...hashes].join(', ')}`);
