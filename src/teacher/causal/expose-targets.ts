/**
 * Graph surgery for causal LMs: replaces the LM head so that full-vocabulary logits are computed only
 * for the positions a job scores, a chunk of rows at a time, and never leave onnxruntime.
 *
 * The node producing `logits` (MatMul(hidden, W)) and the `logits` output are removed. In their place:
 *   flat   = hidden reshaped to [batch * seq, hidden_size]
 *   Scan over `targets.rows` / `targets.next` ([chunks, chunk] int64: flat row indices of the scored
 *   positions and the ids of the tokens that follow them), each step:
 *     logits = (Gather(flat, rows) / T) @ W              [chunk, vocab]  (the only vocab-wide tensors)
 *     d = logits - max, e = exp(d), s = sum(e): lse = max + log(s), entropy = log(s) - sum(e * d) / s
 *     TopK(logits, K) - lse, logits[next] - lse, #{v : logits[v] > logits[next]},
 *     fp16 of the gathered hidden rows
 * so memory follows chunk x vocab, whatever the batch, and the head's matrix product runs only for
 * scored rows. Outputs are [chunks, chunk, ...] in row order. T (`targets.temperature`, float [1]) and
 * K (`targets.k`, int64 [1]) are inputs, so one rewritten graph serves every spec. Like expose-hidden,
 * the fields kept are copied byte for byte.
 *
 * With `keepLogits` (the generator's graph, causal-generator.ts) the head and `logits` stay, since sampling
 * needs them, and each chunk reads its rows from `logits` (Gather, then / T) instead of recomputing them:
 * the same nodes after that, so a generation records exactly what teacher-forced labelling computes,
 * with no hidden output.
 */
import { DistilleryError } from '../../core/errors.ts';
import { DataType, GraphBuilder, floatTensor, int64Tensor } from '../onnx/graph-builder.ts';
import { parseOnnxModel } from '../onnx/onnx-graph.ts';
import { ProtoWriter } from '../onnx/protobuf-writer.ts';
import { concatBytes, fieldInts, fieldString, readFields } from '../onnx/protobuf-reader.ts';

export const TARGET_INPUTS = {
  temperature: 'targets.temperature',
  k: 'targets.k',
  rows: 'targets.rows',
  next: 'targets.next',
} as const;
export const TARGET_OUTPUTS = {
  topkLogprobs: 'targets.topk_logprobs',
  topkIds: 'targets.topk_ids',
  lse: 'targets.lse',
  entropy: 'targets.entropy',
  nextLogprob: 'targets.next_logprob',
  nextRank: 'targets.next_rank',
  hidden: 'targets.hidden',
} as const;

export interface ExposeTargetsOptions {
  /** keep the head and its `logits` output, and read the chunks' rows from it (no hidden output) */
  keepLogits?: boolean;
}

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

type Reduce = (g: GraphBuilder, op: string, x: string, out?: string) => string;

/** ReduceSum takes axes as an input from opset 13, the other reductions from opset 18. */
function reducer(opset: number, lastAxis: string): Reduce {
  return (g, op, x, out) =>
    (op === 'ReduceSum' ? opset >= 13 : opset >= 18)
      ? g.op(op, [x, lastAxis], { keepdims: 0 }, out)
      : g.op(op, [x], { axes: [-1], keepdims: 0 }, out);
}

const BODY = {
  rows: 'targets/chunk/rows_in',
  next: 'targets/chunk/next_in',
  topkLogprobs: 'targets/chunk/topk_logprobs',
  topkIds: 'targets/chunk/topk_ids',
  lse: 'targets/chunk/lse',
  entropy: 'targets/chunk/entropy',
  nextLogprob: 'targets/chunk/next_logprob',
  nextRank: 'targets/chunk/next_rank',
  hidden: 'targets/chunk/hidden',
};

/**
 * One Scan step: the targets for one chunk of rows. Outer scope: T, K and either the flat hidden rows
 * and W (`weight` given: the head runs here) or the flat logits (`weight` undefined: the head ran already).
 */
function chunkBody(reduce: Reduce, flat: string, weight: string | undefined, lastAxis: string): GraphBuilder {
  const g = new GraphBuilder('targets_chunk', { prefix: 'targets/chunk/' });
  g.input(BODY.rows, DataType.INT64, ['chunk']);
  g.input(BODY.next, DataType.INT64, ['chunk']);
  const h = g.op('Gather', [flat, BODY.rows], { axis: 0 });
  // Passes over [chunk, vocab] are the cost: 1/T scales the hidden rows before the product instead of
  // the logits after it, and no vocab-wide log-prob tensor is made at all.
  const scaled = weight
    ? g.op('MatMul', [g.op('Div', [h, TARGET_INPUTS.temperature]), weight])
    : g.op('Div', [h, TARGET_INPUTS.temperature]);
  const col = (x: string) => g.op('Unsqueeze', [x, lastAxis]);
  // One Exp pass serves both lse and entropy: with d = x - max, e = exp(d), s = sum(e),
  //   lse = max + log(s),  entropy = log(s) - sum(e * d) / s.
  // ReduceLogSumExp was a second, scalar exp pass, and its float sum was ~2.6e-4 off lse at a 151,936
  // vocabulary (this form: ~2e-5; entropy ~2e-5 vs ~1.6e-3 for -sum(p log p) over log-probs).
  const max = reduce(g, 'ReduceMax', scaled);
  const d = g.op('Sub', [scaled, col(max)]);
  const e = g.op('Exp', [d]);
  const s = reduce(g, 'ReduceSum', e);
  const logS = g.op('Log', [s]);
  const lse = g.op('Add', [max, logS], {}, BODY.lse);
  g.op('Sub', [logS, g.op('Div', [reduce(g, 'ReduceSum', g.op('Mul', [e, d])), s])], {}, BODY.entropy);
  // Top-k, the next token's value and its rank read the logits themselves: subtracting lse (a per-row
  // constant) from k values instead of the whole row saves a vocab-wide pass, and comparing logits
  // counts the same ids as comparing log-probs (and is not blurred by the subtraction's rounding).
  const topk = g.fresh('topk_logits');
  g.node('TopK', [scaled, TARGET_INPUTS.k], { axis: -1, largest: 1, sorted: 1 }, [topk, BODY.topkIds]);
  g.op('Sub', [topk, col(lse)], {}, BODY.topkLogprobs);
  const next = g.op('GatherElements', [scaled, col(BODY.next)], { axis: -1 });
  g.op('Sub', [g.op('Squeeze', [next, lastAxis]), lse], {}, BODY.nextLogprob);
  reduce(g, 'ReduceSum', g.op('Cast', [g.op('Greater', [scaled, next])], { to: DataType.FLOAT }), BODY.nextRank);
  g.output(BODY.topkLogprobs, DataType.FLOAT, ['chunk', 'k']);
  g.output(BODY.topkIds, DataType.INT64, ['chunk', 'k']);
  for (const name of [BODY.lse, BODY.entropy, BODY.nextLogprob, BODY.nextRank])
    g.output(name, DataType.FLOAT, ['chunk']);
  if (weight) {
    g.op('Cast', [h], { to: DataType.FLOAT16 }, BODY.hidden);
    g.output(BODY.hidden, DataType.FLOAT16, ['chunk', 'hidden_size']);
  }
  return g;
}

/** The patch; `weight` undefined: `source` is the logits (keepLogits), else the head's hidden input. */
function buildPatch(opset: number, source: string, weight: string | undefined, defaults: TargetDefaults): GraphBuilder {
  const g = new GraphBuilder('targets_patch', { prefix: 'targets/' });
  const lastAxis = g.init('targets/last_axis', int64Tensor([-1], [1]));
  // A baked value is an initializer, not an input: onnxruntime-node feeds only declared inputs, so an
  // "overridable" initializer could never be overridden from JavaScript.
  if (defaults.temperature === undefined) g.input(TARGET_INPUTS.temperature, DataType.FLOAT, [1]);
  else g.init(TARGET_INPUTS.temperature, floatTensor([defaults.temperature], [1]));
  if (defaults.k === undefined) g.input(TARGET_INPUTS.k, DataType.INT64, [1]);
  else g.init(TARGET_INPUTS.k, int64Tensor([defaults.k], [1]));
  g.input(TARGET_INPUTS.rows, DataType.INT64, ['chunks', 'chunk']);
  g.input(TARGET_INPUTS.next, DataType.INT64, ['chunks', 'chunk']);

  const width = g.op('Slice', [g.op('Shape', [source]), lastAxis, g.init('targets/end', int64Tensor([2 ** 52], [1]))]);
  const flatShape = g.op('Concat', [g.init('targets/minus_one', int64Tensor([-1], [1])), width], { axis: 0 });
  const flat = g.op('Reshape', [source, flatShape]);
  const body = chunkBody(reducer(opset, lastAxis), flat, weight, lastAxis);
  const outs = [
    TARGET_OUTPUTS.topkLogprobs,
    TARGET_OUTPUTS.topkIds,
    TARGET_OUTPUTS.lse,
    TARGET_OUTPUTS.entropy,
    TARGET_OUTPUTS.nextLogprob,
    TARGET_OUTPUTS.nextRank,
    ...(weight ? [TARGET_OUTPUTS.hidden] : []),
  ];
  g.node(
    'Scan',
    [TARGET_INPUTS.rows, TARGET_INPUTS.next],
    { body: { kind: 'graph', value: body }, num_scan_inputs: 2 },
    outs,
  );
  g.output(TARGET_OUTPUTS.topkLogprobs, DataType.FLOAT, ['chunks', 'chunk', 'k']);
  g.output(TARGET_OUTPUTS.topkIds, DataType.INT64, ['chunks', 'chunk', 'k']);
  for (const name of [
    TARGET_OUTPUTS.lse,
    TARGET_OUTPUTS.entropy,
    TARGET_OUTPUTS.nextLogprob,
    TARGET_OUTPUTS.nextRank,
  ]) {
    g.output(name, DataType.FLOAT, ['chunks', 'chunk']);
  }
  if (weight) g.output(TARGET_OUTPUTS.hidden, DataType.FLOAT16, ['chunks', 'chunk', 'hidden_size']);
  return g;
}

/** The value name of a ValueInfoProto (graph input/output/value_info field). */
const valueName = (data: Uint8Array): string => fieldString(readFields(data).find((x) => x.field === 1)!);

export function exposeTargets(
  model: Uint8Array,
  defaults: TargetDefaults = {},
  opts: ExposeTargetsOptions = {},
): ExposeTargetsResult {
  const parsed = parseOnnxModel(model);
  if (parsed.outputNames.includes(TARGET_OUTPUTS.topkLogprobs))
    return { bytes: model, alreadyPresent: true, hidden: true };
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
  if (opts.keepLogits) return keepingLogits(parsed, opset);
  const head = parsed.nodes.find((n) => n.outputs.includes('logits'));
  const readers = parsed.nodes.filter((n) => n.inputs.includes('logits'));
  if (!head || head.opType !== 'MatMul' || head.outputs.length !== 1 || readers.length > 0) {
    throw new DistilleryError(
      'UNSUPPORTED_OUTPUT',
      `The graph's logits do not come straight from a MatMul head (${head?.opType ?? 'none'})`,
      {
        hint: 'expose-topk rewrites a MatMul(hidden, W) LM head, as optimum exports Llama, Qwen, Phi and GPT-2',
      },
    );
  }

  const patch = new ProtoWriter();
  buildPatch(opset, head.inputs[0]!, head.inputs[1]!, defaults).encode(patch);
  const patchFields = readFields(patch.finish()).filter((f) => f.field !== 2);
  // Drop the head node, and `logits` from the outputs and value_info.
  let nodeIndex = 0;
  const kept = parsed.graphFields.filter((f) => {
    if (f.field === 1) return parsed.nodes[nodeIndex++] !== head;
    if (f.field === 12 || f.field === 13) return valueName(f.data!) !== 'logits';
    return true;
  });
  const graphBody = concatBytes([...kept.map((f) => f.raw), ...patchFields.map((f) => f.raw)]);
  const graph = new ProtoWriter().bytes(7, graphBody).finish();
  const parts = parsed.modelFields.map((f) => (f === parsed.graphField ? graph : f.raw));
  return { bytes: concatBytes(parts), alreadyPresent: false, hidden: true };
}

/** The keepLogits rewrite: nothing removed, the patch appended and reading `logits`. */
function keepingLogits(parsed: ReturnType<typeof parseOnnxModel>, opset: number): ExposeTargetsResult {
  const patch = new ProtoWriter();
  buildPatch(opset, 'logits', undefined, {}).encode(patch);
  const patchFields = readFields(patch.finish()).filter((f) => f.field !== 2);
  const graphBody = concatBytes([...parsed.graphFields.map((f) => f.raw), ...patchFields.map((f) => f.raw)]);
  const graph = new ProtoWriter().bytes(7, graphBody).finish();
  const parts = parsed.modelFields.map((f) => (f === parsed.graphField ? graph : f.raw));
  return { bytes: concatBytes(parts), alreadyPresent: false, hidden: false };
}
