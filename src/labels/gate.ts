/**
 * The labelling gate: the one way inputs get teacher outputs. Cache first (only what is missing, down to
 * single components such as one hidden layer), inputs grouped by what they lack, token-budget batches,
 * one count check, results saved batch by batch so a crash loses at most the batch in flight.
 *
 * The job runner and evaluation let the gate plan batches and call the teacher; the HTTP soft-labeler
 * passes `submit`, the micro-batcher, which merges each group with other requests' texts instead.
 */
import { DistilleryError } from '../core/errors.ts';
import { expectOutputPerInput } from '../core/output-count.ts';
import type { OutputSpec, TeacherInfo, TeacherOutput, TeacherRunner, TextInput } from '../core/types.ts';
import { componentsForSpec, layerCountsOf } from '../store/index.ts';
import { planLengthSortedBatches } from './batch-plan.ts';
import type { LabelCache } from './label-cache.ts';

export type Submit = (inputs: TextInput[], spec: OutputSpec) => Promise<TeacherOutput[]>;

export interface LabelOptions {
  /** estimated tokens per teacher call (padding included); default 8,192 */
  tokenBudget?: number;
  signal?: AbortSignal;
  /** hands each group whole to a request merger instead of planning batches here */
  submit?: Submit;
  /** also return an output per distinct input (the HTTP answer), not just store them */
  answer?: boolean;
}

export interface LabelStats {
  inputs: number;
  /** distinct normalized inputs */
  unique: number;
  /** distinct inputs fully served by the cache */
  cached: number;
  /** distinct inputs sent to the teacher (for all or part of the spec) */
  computed: number;
  teacherCalls: number;
}

export interface LabelResult extends LabelStats {
  /** input hashes that lacked something before this call */
  missed: ReadonlySet<string>;
  /** with `answer`: the complete output per input hash */
  outputs?: Map<string, TeacherOutput>;
}

type Hashed = TextInput & { hash: string };

const plain = (i: TextInput): TextInput =>
  i.textPair === undefined ? { text: i.text } : { text: i.text, textPair: i.textPair };

/**
 * A classifier's top-k rows hold at most one entry per class, and the store names a top-k by what it
 * holds: a wider top-k is asked as the top-all the teacher writes, or it would never be found again.
 */
function withinClasses(spec: OutputSpec, info: TeacherInfo): OutputSpec {
  const classes = info.task === 'text-classification' ? info.labels.length : 0;
  return spec.topK !== undefined && classes > 0 && spec.topK > classes ? { ...spec, topK: classes } : spec;
}

export async function labelInputs(
  teacher: TeacherRunner,
  cache: LabelCache,
  inputs: readonly TextInput[],
  asked: OutputSpec,
  opts: LabelOptions = {},
): Promise<LabelResult> {
  const info = teacher.info;
  const spec = withinClasses(asked, info);
  const unique = new Map<string, TextInput>();
  for (const input of inputs) {
    const h = cache.inputHash(input);
    if (!unique.has(h)) unique.set(h, input);
  }
  const missing = cache.missing(info, [...unique.keys()], spec);
  // inputs lacking the same components go to the teacher together
  const groups = new Map<string, { spec: OutputSpec; items: Hashed[] }>();
  for (const [hash, need] of missing) {
    const key = JSON.stringify(need);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { spec: need, items: [] }));
    g.items.push({ ...plain(unique.get(hash)!), hash });
  }

  const wanted = opts.answer ? componentsForSpec(spec, layerCountsOf(info)).length : 0;
  const fresh = new Map<string, TeacherOutput>();
  let teacherCalls = 0;
  const compute = async (batch: Hashed[], need: OutputSpec, whole: boolean): Promise<void> => {
    if (opts.signal?.aborted) throw new DistilleryError('CANCELLED', 'labelling was cancelled');
    const request = batch.map(plain);
    // An input computed whole is answered as the teacher gives it, so it is asked in the caller's terms
    // (probabilities at the caller's temperatures), logits included whenever they are to be stored.
    const ask = whole ? { ...spec, logits: spec.logits || need.logits } : need;
    const outputs = opts.submit
      ? await opts.submit(request, ask)
      : await teacher.infer(request, ask, opts.signal ? { signal: opts.signal } : undefined);
    teacherCalls++;
    expectOutputPerInput(info.name, outputs.length, batch.length);
    cache.saveOutputs(
      info,
      need,
      batch.map((b, i) => ({ inputHash: b.hash, output: outputs[i]! })),
    );
    if (whole) batch.forEach((b, i) => fresh.set(b.hash, outputs[i]!));
  };
  const budget = opts.tokenBudget ?? 8192;
  for (const { spec: need, items } of groups.values()) {
    // only with `answer`: a partial one is read back from the cache, merged with what was there
    const whole = opts.answer === true && componentsForSpec(need).length === wanted;
    if (opts.submit) await compute(items, need, whole);
    else for (const batch of planLengthSortedBatches(items, budget, info.maxLength)) await compute(batch, need, whole);
  }

  const result: LabelResult = {
    inputs: inputs.length,
    unique: unique.size,
    cached: unique.size - missing.size,
    computed: missing.size,
    teacherCalls,
    missed: new Set(missing.keys()),
  };
  if (opts.answer) {
    const rest = [...unique.keys()].filter((h) => !fresh.has(h));
    const stored = rest.length > 0 ? cache.outputs(info, rest, spec) : new Map<string, TeacherOutput>();
    result.outputs = new Map([...fresh, ...stored]);
  }
  return result;
}
