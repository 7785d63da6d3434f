import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { argmax, klDivergence, softmaxT } from '../../src/core/soft-labels.ts';
import type { OutputSpec } from '../../src/core/types.ts';
import { REPO_ROOT } from '../../src/config.ts';
import { labelInputs } from '../../src/labels/index.ts';
import { StoreRunnerAdapter } from '../../src/jobs/runner/store-adapter.ts';
import { inputHash, openStore } from '../../src/store/index.ts';
import { OnnxTeacher } from '../../src/teacher/onnx-teacher.ts';
import { convertToFloat16 } from '../../src/teacher/onnx/float16-convert.ts';
import { fieldInts, fieldString, readFields } from '../../src/teacher/onnx/protobuf-reader.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { runCli } from '../jobs/helpers/cli.ts';

const DEMO = path.join(REPO_ROOT, 'models/demo-sentiment');
const SST2_DEV = path.resolve(REPO_ROOT, '../shared/data/corpora/sst2/dev.jsonl');
const LOGITS: OutputSpec = { logits: true, temperatures: [], encoding: 'fp32' };
const dir = tempDir('distillery-fp16-');

let fp32: OnnxTeacher;
let fp16: OnnxTeacher;
const logLines: string[] = [];
before(async () => {
  fp32 = await OnnxTeacher.load({ name: 'demo32', dir: DEMO, dtype: 'fp32', threads: 1 });
  fp16 = await OnnxTeacher.load({ name: 'demo16', dir: DEMO, dtype: 'fp16', threads: 1, log: (l) => logLines.push(l) });
});
after(async () => {
  await fp32.dispose();
  await fp16.dispose();
});

interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  castTo?: number;
}

/** Nodes and initializer element types of an ONNX file, read straight from the protobuf. */
function readGraph(file: string): { nodes: GraphNode[]; initTypes: Map<string, number> } {
  const graph = readFields(readFields(readFileSync(file)).find((f) => f.field === 7)!.data!);
  const nodes = graph
    .filter((f) => f.field === 1)
    .map((f) => {
      const node: GraphNode = { op: '', inputs: [], outputs: [] };
      for (const x of readFields(f.data!)) {
        if (x.field === 1) node.inputs.push(fieldString(x));
        if (x.field === 2) node.outputs.push(fieldString(x));
        if (x.field === 4) node.op = fieldString(x);
        if (x.field === 5) {
          const to = readFields(x.data!).find((a) => a.field === 3);
          if (to) node.castTo = Number(to.int);
        }
      }
      return node;
    });
  const initTypes = new Map<string, number>();
  for (const f of graph.filter((x) => x.field === 5)) {
    const t = readFields(f.data!);
    initTypes.set(fieldString(t.find((x) => x.field === 8)!), Number(fieldInts(t.find((x) => x.field === 2)!)[0]));
  }
  return { nodes, initTypes };
}

test('models convert --dtype fp16 writes onnx/model_fp16.onnx beside the fp32 graph, fragile ops kept in fp32', async () => {
  const out = path.join(dir, 'demo-copy');
  const res = await runCli(['models', 'convert', DEMO, out, '--dtype', 'fp16']);
  assert.equal(res.code, 0, res.stderr);
  const file = path.join(out, 'onnx/model_fp16.onnx');
  assert.match(res.stdout, /model_fp16\.onnx/);
  // the rest of the folder came along, and the converted graph is what the fixture builder commits
  for (const f of ['config.json', 'tokenizer.json', 'onnx/model.onnx']) assert.ok(existsSync(path.join(out, f)), f);
  assert.ok(readFileSync(file).equals(readFileSync(path.join(DEMO, 'onnx/model_fp16.onnx'))));

  // The runtime still feeds int64 ids and reads float32 outputs.
  const session = await ort.InferenceSession.create(file);
  for (const m of session.inputMetadata) assert.equal(m.isTensor && m.type, 'int64', m.name);
  for (const m of session.outputMetadata) assert.equal(m.isTensor && m.type, 'float32', m.name);
  await session.release();

  const { nodes, initTypes } = readGraph(file);
  const producer = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  // Encoder weights are half precision...
  const matmulWeights = nodes
    .filter((n) => n.op === 'MatMul' && n.inputs[1]!.startsWith('layer'))
    .map((n) => n.inputs[1]!);
  assert.ok(matmulWeights.length >= 12);
  for (const w of matmulWeights) assert.equal(initTypes.get(w), 10, w);
  // ...but LayerNorm and Softmax compute in fp32: their activations arrive through a Cast to float.
  for (const n of nodes.filter((x) => x.op === 'LayerNormalization' || x.op === 'Softmax')) {
    const p = producer.get(n.inputs[0]!);
    assert.ok(p?.op === 'Cast' && p.castTo === 1, `${n.op} ${n.outputs[0]} reads ${p?.op}`);
    for (const w of n.inputs.slice(1)) assert.equal(initTypes.get(w), 1, w);
  }
  // The classification head computes logits in fp32 (no cast between it and the output).
  assert.notEqual(producer.get('logits')!.op, 'Cast');
  assert.equal(initTypes.get('classifier.weight'), 1);

  // A second run does not overwrite what is there, and says how to.
  const before = statSync(file).mtimeMs;
  const again = await runCli(['models', 'convert', DEMO, out, '--dtype', 'fp16']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists.*--force/);
  assert.equal(statSync(file).mtimeMs, before);
});

test('convert refuses a quantized graph and an unknown dtype with a hint', async () => {
  assert.throws(() => convertToFloat16(readFileSync(path.join(DEMO, 'onnx/model_quantized.onnx'))), {
    message: /already quantized/,
  });
  // a folder whose model.onnx cannot be converted: the command fails and OUT is not created
  const bad = path.join(dir, 'quantized-only');
  mkdirSync(path.join(bad, 'onnx'), { recursive: true });
  copyFileSync(path.join(DEMO, 'onnx/model_quantized.onnx'), path.join(bad, 'onnx/model.onnx'));
  const refused = await runCli(['models', 'convert', bad, path.join(dir, 'out-q'), '--dtype', 'fp16']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /already quantized.*convert the fp32 graph/);
  assert.equal(existsSync(path.join(dir, 'out-q')), false);
  const res = await runCli(['models', 'convert', DEMO, path.join(dir, 'x'), '--dtype', 'bf16']);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /Cannot convert to dtype "bf16".*supported: fp16/);
  assert.equal(existsSync(path.join(dir, 'x')), false);
});

test('fp16 demo teacher matches fp32 on all of SST-2 dev: mean KL <= 1e-4 at T = 1, 2, 4, argmax agreement >= 99.5%', async () => {
  const texts = readFileSync(SST2_DEV, 'utf8')
    .trim()
    .split('\n')
    .map((l) => ({ text: (JSON.parse(l) as { text: string }).text }));
  assert.equal(texts.length, 872);
  // length-sorted, right-padded batches: the padded positions go through the clamped mask in fp16
  const a = await fp32.infer(texts, LOGITS);
  const b = await fp16.infer(texts, LOGITS);
  for (const T of [1, 2, 4]) {
    let sum = 0;
    a.forEach((o, i) => (sum += klDivergence(softmaxT(o.logits!, T), softmaxT(b[i]!.logits!, T))));
    const mean = sum / texts.length;
    console.log(`demo-sentiment fp16 vs fp32, SST-2 dev, T=${T}: mean KL ${mean.toExponential(2)}`);
    assert.ok(Number.isFinite(mean) && mean <= 1e-4, `T=${T}: mean KL ${mean}`);
  }
  const agree = a.filter((o, i) => argmax(o.logits!) === argmax(b[i]!.logits!)).length / texts.length;
  console.log(`argmax agreement ${(agree * 100).toFixed(2)}%`);
  assert.ok(agree >= 0.995, `agreement ${agree}`);
});

test('an fp16 teacher on cpu runs and says it gains nothing there', () => {
  assert.equal(fp16.info.device, 'cpu');
  assert.equal(fp16.info.dtype, 'fp16');
  assert.ok(fp16.deviceNotes.some((n) => /fp16 on cpu works but is no faster than fp32/.test(n)));
  assert.ok(logLines.some((l) => l.startsWith('teacher demo16: fp16 on cpu')));
  assert.deepEqual(fp32.deviceNotes, []);
});

test('fp32 and fp16 teachers have different fingerprints, so the cache never serves one for the other', async () => {
  assert.notEqual(fp32.info.fingerprint, fp16.info.fingerprint);
  const store = openStore(path.join(dir, 'cache.db'));
  try {
    const cache = new StoreRunnerAdapter(store, 1000);
    store.registerTeacher(fp32.info);
    store.registerTeacher(fp16.info);
    const texts = ['a gorgeous , witty , seductive movie .', 'the plot is nothing but boilerplate'].map((text) => ({
      text,
    }));
    const first = await labelInputs(fp32, cache, texts, LOGITS);
    assert.deepEqual([first.computed, first.cached], [2, 0]);
    // the fp16 teacher finds nothing of fp32's in the cache: everything is computed again
    const second = await labelInputs(fp16, cache, texts, LOGITS);
    assert.deepEqual([second.computed, second.cached], [2, 0]);
    const hashes = texts.map((t) => inputHash(t));
    const stored32 = cache.outputs(fp32.info, hashes, LOGITS);
    const stored16 = cache.outputs(fp16.info, hashes, LOGITS);
    const direct16 = await fp16.infer(texts, LOGITS);
    const direct32 = await fp32.infer(texts, LOGITS);
    hashes.forEach((h, i) => {
      assert.deepEqual([...stored16.get(h)!.logits!], [...direct16[i]!.logits!]);
      assert.deepEqual([...stored32.get(h)!.logits!], [...direct32[i]!.logits!]);
    });
    // the two really differ (or the test above could not tell them apart)
    assert.notDeepEqual([...direct16[0]!.logits!], [...direct32[0]!.logits!]);
  } finally {
    store.close();
  }
});

test('models inspect --device auto says which device it settled on and what it passed over', async () => {
  const res = await runCli(['models', 'inspect', DEMO, '--dtype', 'fp16', '--device', 'auto', '--json']);
  assert.equal(res.code, 0, res.stderr);
  const info = JSON.parse(res.stdout) as { device: string; deviceNotes: string[]; providers: string[] };
  const providers = ort.listSupportedBackends().map((b) => b.name);
  assert.deepEqual(
    info.providers.map((p) => p.split(' ')[0]),
    providers,
  );
  assert.ok(['cuda', 'webgpu', 'cpu'].includes(info.device));
  // auto tries cuda, then webgpu, then cpu: every device before the chosen one is named with its reason
  const order = ['cuda', 'webgpu', 'cpu'];
  const passed = info.deviceNotes.filter((n) => n.startsWith('auto passed over ')).map((n) => n.split(' ')[3]);
  assert.deepEqual(
    passed,
    order.slice(0, order.indexOf(info.device)).map((d) => `${d}:`),
  );
  assert.equal(
    info.deviceNotes.some((n) => n.startsWith('fp16 on cpu')),
    info.device === 'cpu',
  );
  // and the text form says it too
  const text = await runCli(['models', 'inspect', DEMO, '--dtype', 'fp16', '--device', 'auto']);
  assert.match(text.stdout, new RegExp(`^device {7}${info.device} \\(providers in this build: cpu`, 'm'));
});

test('a cpu-only request never probes a GPU', async () => {
  const res = await runCli(['models', 'inspect', DEMO, '--json']);
  const info = JSON.parse(res.stdout) as { device: string; deviceNotes: string[] };
  assert.equal(info.device, 'cpu');
  assert.deepEqual(info.deviceNotes, []);
});

test('every committed fp16 fixture runs as a teacher and agrees with its fp32 graph', async () => {
  const texts = [{ text: 'the film is good' }, { text: 'a [MASK] plot , but the acting is wonderful' }];
  for (const name of ['tiny-bert-classifier', 'tiny-bert-classifier-logits-only', 'tiny-bert-mlm']) {
    const dir = path.join(REPO_ROOT, 'models', name);
    const a = await OnnxTeacher.load({ name, dir, dtype: 'fp32', threads: 1 });
    const b = await OnnxTeacher.load({ name, dir, dtype: 'fp16', threads: 1 });
    try {
      const spec: OutputSpec = { logits: true, temperatures: [1], topK: 3, encoding: 'fp32' };
      const [x, y] = [await a.infer(texts, spec), await b.infer(texts, spec)];
      x.forEach((o, i) => {
        // the same top-1 at every position (per token for the masked LM)
        assert.deepEqual(
          o.topK!.map((t) => t.ids[0]),
          y[i]!.topK!.map((t) => t.ids[0]),
          `${name} text ${i}`,
        );
      });
    } finally {
      await a.dispose();
      await b.dispose();
    }
  }
});
