import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SeededRng } from '../../src/core/seeded-rng.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../../src/core/sequence-types.ts';
import { FileSink } from '../../src/export/byte-sink.ts';
import { SafetensorsWriter } from '../../src/export/safetensors/safetensors-writer.ts';
import { exportSequencesSafetensors } from '../../src/export/sequence-safetensors.ts';
import { TOP_VALUE_PAD } from '../../src/export/sequence-parquet.ts';
import { openStore, SequenceOutputs } from '../../src/store/index.ts';
import { makeTargets, type MadeTargets } from '../helpers/sequence-targets.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('sequence-safetensors-');
const VOCAB = 400;
const K = 64;
const SPEC: SequenceOutputSpec = { temperature: 1, topK: K, samples: { draws: 50 }, target: true, hidden: true };
const PYTHON =
  ['python3', '/usr/bin/python3'].find((py) => {
    try {
      execFileSync(py, ['-c', 'import numpy'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }) ?? 'python3';
const helper = (name: string): string => join(import.meta.dirname, '../helpers', name);

interface PyTensor {
  dtype: string;
  shape: number[];
  values: number[];
}
const readWithNumpy = (path: string): { metadata: Record<string, string>; tensors: Record<string, PyTensor> } =>
  JSON.parse(execFileSync(PYTHON, [helper('read_safetensors.py'), path], { maxBuffer: 1 << 28 }).toString());

const made: MadeTargets[] = Array.from({ length: 6 }, (_, i) =>
  makeTargets(`st-${i}`, VOCAB, 30 + 9 * i, 4 + i, SPEC, 8),
);

/** The stored (decoded) targets: what an export from the store sees. */
function stored(): SequenceTargets[] {
  const store = openStore(join(dir, 'store.db'));
  store.sequences.put(
    'sha256:t',
    VOCAB,
    made.map((m) => ({ targets: m.targets, spec: SPEC })),
  );
  const out = store.sequences.getMany(
    'sha256:t',
    made.map((m) => SequenceOutputs.hash(m.targets)),
    SPEC,
  ) as SequenceTargets[];
  store.close();
  return out;
}

test('dense per-token tensors, concatenated over tokens with offsets, read back by numpy', () => {
  const targets = stored();
  const out = join(dir, 'a');
  const res = exportSequencesSafetensors(
    targets.map((t, i) => ({ id: `s${i}`, targets: t })),
    { outDir: out, prefix: 'seq', spec: SPEC, shardRows: 4 },
  );
  assert.deepEqual(
    res.files.map((f) => [f.path, f.rows]),
    [
      ['seq-00000.safetensors', 4],
      ['seq-00001.safetensors', 2],
    ],
  );
  assert.deepEqual(readdirSync(out).sort(), ['seq-00000.safetensors', 'seq-00001.safetensors']);
  const { metadata, tensors } = readWithNumpy(join(out, 'seq-00001.safetensors'));
  assert.deepEqual(JSON.parse(metadata['distillery.ids']!), ['s4', 's5']);
  const part = targets.slice(4);
  const T = part.reduce((n, t) => n + t.tokenIds.length, 0);
  assert.deepEqual(tensors.sequence_offsets!.values, [0, part[0]!.tokenIds.length, T]);
  assert.deepEqual(tensors.topk_ids!.shape, [T, K]);
  assert.deepEqual(tensors.hidden!.shape, [T, 8]);
  assert.equal(tensors.hidden!.dtype, 'F16');
  let base = 0;
  let sampleBase = 0;
  for (const t of part) {
    const rowOf = new Map([...t.positions].map((pos, p) => [pos, p]));
    for (let i = 0; i < t.tokenIds.length; i++) {
      const g = base + i;
      const p = rowOf.get(i);
      assert.equal(tensors.input_ids!.values[g], t.tokenIds[i]);
      const lp = tensors.topk_logprobs!.values.slice(g * K, (g + 1) * K);
      const [s0, s1] = [tensors.sample_offsets!.values[g]!, tensors.sample_offsets!.values[g + 1]!];
      if (p === undefined) {
        assert.equal(tensors.labels!.values[g], -100);
        assert.ok(lp.every((v) => v === TOP_VALUE_PAD));
        assert.equal(s1 - s0, 0);
        assert.equal(tensors.target_rank!.values[g], -1);
        continue;
      }
      assert.equal(tensors.labels!.values[g], t.tokenIds[i]);
      assert.deepEqual(tensors.topk_ids!.values.slice(g * K, (g + 1) * K), [
        ...t.topk!.ids.subarray(p * K, (p + 1) * K),
      ]);
      assert.deepEqual(lp, [...t.topk!.logprobs.subarray(p * K, (p + 1) * K)]);
      const s = t.samples!;
      assert.deepEqual(tensors.sample_ids!.values.slice(s0, s1), [...s.ids.subarray(s.offsets[p], s.offsets[p + 1])]);
      assert.equal(s0 - sampleBase, s.offsets[p]);
      assert.equal(tensors.target_rank!.values[g], t.target!.rank[p]);
      assert.equal(tensors.entropy!.values[g], t.target!.entropy[p]);
    }
    base += t.tokenIds.length;
    sampleBase += t.samples!.ids.length;
  }
});

test('the documented sparse losses, run in numpy on a real export, match the exact full-vocabulary values', () => {
  const targets = stored();
  const out = join(dir, 'kd');
  const res = exportSequencesSafetensors(
    targets.map((t, i) => ({ id: `s${i}`, targets: t })),
    { outDir: out, prefix: 'kd', spec: SPEC },
  );
  // a student that disagrees with the teacher: its log-probs are the teacher's plus noise, renormalized
  const rng = new SeededRng('student');
  const T = made.reduce((n, m) => n + m.targets.tokenIds.length, 0);
  const student = new Float32Array(T * VOCAB);
  let exactKl = 0;
  let exactCe = 0;
  let ceVariance = 0;
  let scored = 0;
  let base = 0;
  for (const m of made) {
    m.targets.positions.forEach((pos, p) => {
      const lpT = m.rows[p]!.logprobs;
      const z = Float64Array.from(lpT, (v) => v + 5 * (rng.next() - 0.5));
      const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
      const lq = z.map((v) => v - lse);
      student.set(lq, (base + pos) * VOCAB);
      // exact reference of the top-k + tail-bucket KL, from the unquantized teacher row
      const ids = m.targets.topk!.ids.subarray(p * K, (p + 1) * K);
      let kl = 0;
      let qTop = 0;
      for (const id of ids) {
        kl += Math.exp(lpT[id]!) * (lpT[id]! - lq[id]!);
        qTop += Math.exp(lq[id]!);
      }
      const pTail = m.targets.topk!.tailMass[p]!;
      kl += pTail * (Math.log(Math.max(pTail, 1e-12)) - Math.log(Math.max(1 - qTop, 1e-12)));
      exactKl += kl;
      // the cross-entropy RS-KD estimates without bias, and the variance of one draw's estimate
      let ce = 0;
      let ce2 = 0;
      for (let v = 0; v < VOCAB; v++) {
        const pv = Math.exp(lpT[v]!);
        ce -= pv * lq[v]!;
        ce2 += pv * lq[v]! * lq[v]!;
      }
      exactCe += ce;
      ceVariance += (ce2 - ce * ce) / 50;
      scored++;
    });
    base += m.targets.tokenIds.length;
  }
  const studentPath = join(dir, 'student.safetensors');
  const w = new SafetensorsWriter(dir);
  w.declare('student_logprobs', 'F32', [VOCAB]);
  w.append('student_logprobs', student, T);
  const sink = new FileSink(studentPath);
  w.finish(sink, {});
  sink.close();

  const got = JSON.parse(
    execFileSync(PYTHON, [helper('sparse_kd_numpy.py'), join(out, res.files[0]!.path), studentPath]).toString(),
  ) as { topk_kl: number; sampled_ce: number; positions: number };
  assert.equal(got.positions, scored);
  exactKl /= scored;
  exactCe /= scored;
  assert.ok(exactKl > 0.05, `the student differs from the teacher (KL ${exactKl})`);
  // quantized teacher log-probs (<= 1/64 on the head, 1/16 on the tail) move the KL only a little
  assert.ok(Math.abs(got.topk_kl - exactKl) <= 0.02, `top-k KL ${got.topk_kl} vs exact ${exactKl}`);
  // the sampled estimate is unbiased: within 4 standard errors of the exact cross-entropy
  const se = Math.sqrt(ceVariance) / scored;
  assert.ok(Math.abs(got.sampled_ce - exactCe) <= 4 * se, `sampled CE ${got.sampled_ce} vs ${exactCe} (se ${se})`);
});
