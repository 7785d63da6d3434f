/**
 * Graph surgery for causal LMs: appends to the ONNX protobuf the nodes that turn [batch, seq, vocab]
 * logits into per-position targets, so the full-vocabulary logits never leave onnxruntime:
 *
 *   scaled = logits / T                          (T fed as `targets.temperature`, float [1])
 *   lse    = ReduceLogSumExp(scaled)             -> targets.lse            [batch, seq]
 *   logp   = LogSoftmax(scaled)
 *   TopK(logp, K)                                -> targets.topk_logprobs  [batch, seq, K], targets.topk_ids
 *   entropy = -sum(exp(logp) * logp)             -> targets.entropy        [batch, seq]
 *   next   = input_ids shifted left by one (0 at the end)
 *   logp[next], #{v : logp[v] > logp[next]}      -> targets.next_logprob, targets.next_rank (float)
 *   fp16 input of the head                       -> targets.hidden         [batch, seq, hidden] (when found)
 *
 * K is an input too (`targets.k`, int64 [1]), so one rewritten graph serves every top-k and sampling
 * support size. Like expose-hidden, the original fields are kept byte for byte and the new ones appended.
 */
import { DistilleryError } from '../../core/errors.ts';
import { DataType, GraphBuilder, floatTensor, int64Tensor } from '../onnx/graph-builder.ts';
import { parseOnnxModel } from '../onnx/onnx-graph.ts';
import { ProtoWriter } from '../onnx/protobuf-writer.ts';
import { concatBytes, fieldInts, fieldString, readFields } from '../onnx/protobuf-reader.ts';

export const TARGET_INPUTS = { temperature: 'targets.temperature', k: 'targets.k' } as const;
export const TARGET_OUTPUTS = {
  topkLogprobs: 'targets.topk_logprobs',
  topkIds: 'targets.topk_ids',
  lse: 'targets.lse',
  entropy: 'targets.entropy',
  nextLogprob: 'targets.next_logprob',
  nextRank: 'targets.next_rank',
  hidden: 'targets.hidden',
} as const;

export interface ExposeTargetsResult {
  bytes: Uint8Array;
  alreadyPresent: boolean;
  /** whether targets.hidden was added (the head's input was found) */
  hidden: boolean;
}

const MODEL_OPSET_IMPORT = 8;

/** Version of the default ("" / ai.onnx) operator set the model imports. */
export function defaultOpset(modelFields: ReturnType<typeof readFields>): number {
  for (const f of modelFields) {
    if (f.field !== MODEL_OPSET_IMPORT || !f.data) continue;
    const parts = readFields(f.data);
    const domain = parts.find((p) => p.field === 1);
    const version = parts.find((p) => p.field === 2);
    if ((!domain || fieldString(domain) === '' || fieldString(domain) === 'ai.onnx') && version) {
      return Number(version.int ?? fieldInts(version)[0]);
    }
  }
  return 0;
}

/** The graph's value names, so the patch can check it collides with none. */
function graphValueNames(nodes: { outputs: string[]; inputs: string[] }[]): Set<string> {
  const names = new Set<string>();
  for (const n of nodes) for (const v of [...n.inputs, ...n.outputs]) names.add(v);
  return names;
}

/** Values baked in as constants (expose-topk --k/--temperature); left out, they are graph inputs. */
export interface TargetDefaults {
  k?: number;
  temperature?: number;
}

function buildPatch(opset: number, headInput: string | undefined, defaults: TargetDefaults): GraphBuilder {
  const g = new GraphBuilder('targets_patch', { prefix: 'targets/' });
  const axesInput = (name: string, axes: number[]) => g.init(`targets/${name}`, int64Tensor(axes, [axes.length]));
  const lastAxis = axesInput('last_axis', [-1]);
  // ReduceSum takes axes as an input from opset 13, the other reductions from opset 18.
  const reduce = (op: string, x: string, out?: string) =>
    (op === 'ReduceSum' ? opset >= 13 : opset >= 18)
      ? g.op(op, [x, lastAxis], { keepdims: 0 }, out)
      : g.op(op, [x], { axes: [-1], keepdims: 0 }, out);

  // A baked value is an initializer, not an input: onnxruntime-node feeds only declared inputs, so an
  // "overridable" initializer could never be overridden from JavaScript.
  if (defaults.temperature === undefined) g.input(TARGET_INPUTS.temperature, DataType.FLOAT, [1]);
  else g.init(TARGET_INPUTS.temperature, floatTensor([defaults.temperature], [1]));
  if (defaults.k === undefined) g.input(TARGET_INPUTS.k, DataType.INT64, [1]);
  else g.init(TARGET_INPUTS.k, int64Tensor([defaults.k], [1]));
  const scaled = g.op('Div', ['logits', TARGET_INPUTS.temperature]);
  reduce('ReduceLogSumExp', scaled, TARGET_OUTPUTS.lse);
  const logp = g.op('LogSoftmax', [scaled], { axis: -1 });
  g.node('TopK', [logp, TARGET_INPUTS.k], { axis: -1, largest: 1, sorted: 1 }, [
    TARGET_OUTPUTS.topkLogprobs,
    TARGET_OUTPUTS.topkIds,
  ]);
  g.op('Neg', [reduce('ReduceSum', g.op('Mul', [g.op('Exp', [logp]), logp]))], {}, TARGET_OUTPUTS.entropy);

  const rest = g.op('Slice', [
    'input_ids',
    g.init('targets/one', int64Tensor([1], [1])),
    g.init('targets/end', int64Tensor([2 ** 52], [1])),
    g.init('targets/seq_axis', int64Tensor([1], [1])),
  ]);
  const next = g.op('Pad', [rest, g.init('targets/pad_end', int64Tensor([0, 0, 0, 1], [4]))], { mode: 'constant' });
  const nextLogp = g.op('GatherElements', [logp, g.op('Unsqueeze', [next, lastAxis])], { axis: -1 });
  g.op('Squeeze', [nextLogp, lastAxis], {}, TARGET_OUTPUTS.nextLogprob);
  const above = g.op('Cast', [g.op('Greater', [logp, nextLogp])], { to: DataType.FLOAT });
  reduce('ReduceSum', above, TARGET_OUTPUTS.nextRank);
  if (headInput) g.op('Cast', [headInput], { to: DataType.FLOAT16 }, TARGET_OUTPUTS.hidden);

  g.output(TARGET_OUTPUTS.topkLogprobs, DataType.FLOAT, ['batch_size', 'sequence_length', 'k']);
  g.output(TARGET_OUTPUTS.topkIds, DataType.INT64, ['batch_size', 'sequence_length', 'k']);
  for (const name of [
    TARGET_OUTPUTS.lse,
    TARGET_OUTPUTS.entropy,
    TARGET_OUTPUTS.nextLogprob,
    TARGET_OUTPUTS.nextRank,
  ]) {
    g.output(name, DataType.FLOAT, ['batch_size', 'sequence_length']);
  }
  if (headInput) g.output(TARGET_OUTPUTS.hidden, DataType.FLOAT16, ['batch_size', 'sequence_length', 'hidden_size']);
  return g;
}

export function exposeTargets(model: Uint8Array, defaults: TargetDefaults = {}): ExposeTargetsResult {
  const parsed = parseOnnxModel(model);
  if (parsed.outputNames.includes(TARGET_OUTPUTS.topkLogprobs))
    return { bytes: model, alreadyPresent: true, hidden: parsed.outputNames.includes(TARGET_OUTPUTS.hidden) };
  if (!parsed.outputNames.includes('logits')) {
    throw new DistilleryError('UNSUPPORTED_OUTPUT', 'The graph has no `logits` output', {
      hint: 'expose-topk needs a causal-LM export whose output is named logits (optimum-cli export onnx --task text-generation)',
    });
  }
  const opset = defaultOpset(parsed.modelFields);
  if (opset < 13) {
    throw new DistilleryError('UNSUPPORTED_OUTPUT', `The graph imports opset ${opset}; expose-topk needs 13 or later`, {
      hint: 're-export the model with a newer opset (optimum uses 14 or later)',
    });
  }
  const names = graphValueNames(parsed.nodes);
  const clash = [...names].find((n) => n.startsWith('targets/') || n.startsWith('targets.'));
  if (clash) throw new DistilleryError('UNSUPPORTED_OUTPUT', `The graph already uses the name ${clash}`);
  const head = parsed.nodes.find((n) => n.outputs.includes('logits'));
  const headInput = head && (head.opType === 'MatMul' || head.opType === 'Gemm') ? head.inputs[0] : undefined;

  const patch = new ProtoWriter();
  buildPatch(opset, headInput, defaults).encode(patch);
  const patchFields = readFields(patch.finish()).filter((f) => f.field !== 2);
  const graphBody = concatBytes([...parsed.graphFields.map((f) => f.raw), ...patchFields.map((f) => f.raw)]);
  const graph = new ProtoWriter().bytes(7, graphBody).finish();
  const parts = parsed.modelFields.map((f) => (f === parsed.graphField ? graph : f.raw));
  return { bytes: concatBytes(parts), alreadyPresent: false, hidden: headInput !== undefined };
}
