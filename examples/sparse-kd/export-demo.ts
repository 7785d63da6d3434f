/**
 * The sparse-KD walk-through of docs/TRAINING-LLM.md, Node half: labels the demo reviews
 * (data/demo-reviews.jsonl, plain text: every token after the first is scored) with the bundled
 * models/demo-lm into a fresh store, and exports them as safetensors the way a dataset export reads
 * them (storedSequenceRows -> exportSequencesSafetensors: the top-k log-probs carry the store's
 * quantization). Beside the export it writes the teacher's full-vocabulary log-probs of the same
 * tokens, straight from the teacher (k = the vocabulary, never stored), which the Python half
 * (sparse_kd_torch.py) uses as the dense reference.
 *
 *   npx tsx examples/sparse-kd/export-demo.ts OUT_DIR [--k 16] [--draws 64] [--rows 120]
 *   python3 examples/sparse-kd/sparse_kd_torch.py OUT_DIR
 *
 * OUT_DIR gets export/demo-00000.safetensors, teacher-full.safetensors (`teacher_logprobs` F32 [T, V],
 * token axis as the export's) and demo.json (k, draws, vocabulary, file names).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SequenceOutputSpec, SequenceTargets } from '../../src/core/sequence-types.ts';
import { FileSink } from '../../src/export/byte-sink.ts';
import { SafetensorsWriter } from '../../src/export/safetensors/safetensors-writer.ts';
import { exportSequencesSafetensors } from '../../src/export/sequence-safetensors.ts';
import { storedSequenceRows } from '../../src/export/sequence-rows.ts';
import { labelSequences, type SequenceRow } from '../../src/jobs/sequence-labeler.ts';
import { openStore } from '../../src/store/index.ts';
import { CausalTeacher } from '../../src/teacher/causal/causal-teacher.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    k: { type: 'string', default: '16' },
    draws: { type: 'string', default: '64' },
    rows: { type: 'string', default: '120' },
  },
});
const out = positionals[0];
if (!out) throw new Error('usage: export-demo.ts OUT_DIR [--k 16] [--draws 64] [--rows 120]');
const K = Number(values.k);
const DRAWS = Number(values.draws);
const SPEC: SequenceOutputSpec = { temperature: 1, topK: K, samples: { draws: DRAWS }, target: true };

const reviews = readFileSync(path.join(ROOT, 'data/demo-reviews.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .slice(0, Number(values.rows))
  .map((line) => JSON.parse(line) as { id: string; text: string });
const rows: SequenceRow[] = reviews.map((r) => ({ id: r.id, input: { text: r.text } }));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const store = openStore(path.join(out, 'store.db'));
const teacher = await CausalTeacher.load({
  name: 'demo-lm',
  dir: path.join(ROOT, 'models/demo-lm'),
  graphCacheDir: path.join(out, 'graphs'),
  // draws come from the top-M renormalized (default M = 256 < this vocabulary of 421): with M >= the
  // vocabulary they come from the whole distribution, and RS-KD is unbiased, as the Python half checks
  sampleSupport: 512,
});
try {
  const report = await labelSequences(teacher, store, rows, SPEC);
  if (report.errors.length > 0) throw new Error(`rows refused: ${JSON.stringify(report.errors)}`);
  const exported = exportSequencesSafetensors(storedSequenceRows(store, teacher.info.fingerprint, SPEC, report.refs), {
    outDir: path.join(out, 'export'),
    prefix: 'demo',
    spec: SPEC,
  });

  // the dense reference: every token's full distribution, unquantized, on the export's token axis
  const V = teacher.info.vocabSize;
  const full = (await teacher.score(
    rows.map((r) => ({ input: r.input, seed: r.id })),
    { temperature: 1, topK: V },
  )) as SequenceTargets[];
  mkdirSync(path.join(out, 'tmp'));
  const writer = new SafetensorsWriter(path.join(out, 'tmp'));
  writer.declare('teacher_logprobs', 'F32', [V]);
  for (const t of full) {
    const S = t.tokenIds.length;
    // rows of unscored positions stay 0: the Python half reads them only where labels != -100
    const dense = new Float32Array(S * V);
    t.positions.forEach((pos, p) => {
      for (let j = 0; j < V; j++) dense[pos * V + t.topk!.ids[p * V + j]!] = t.topk!.logprobs[p * V + j]!;
    });
    writer.append('teacher_logprobs', dense, S);
  }
  const sink = new FileSink(path.join(out, 'teacher-full.safetensors'));
  writer.finish(sink, {});
  sink.close();
  rmSync(path.join(out, 'tmp'), { recursive: true, force: true });

  const summary = {
    k: K,
    draws: DRAWS,
    vocab: V,
    sequences: exported.rows,
    tokens: exported.tokens,
    export: path.join('export', exported.files[0]!.path),
    teacher_full: 'teacher-full.safetensors',
  };
  writeFileSync(path.join(out, 'demo.json'), JSON.stringify(summary, null, 2));
  console.log(JSON.stringify(summary));
} finally {
  await teacher.dispose();
  store.close();
}
