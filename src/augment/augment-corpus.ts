/**
 * The corpus entry point: examples in, augmented examples out, each with full provenance, plus counters.
 * Chunks of examples go through the recipe together (model ops batch across texts); every item's randomness
 * comes from the seed, the recipe and its own key, so the output is identical for any chunk size.
 */
import { DistilleryError } from '../core/errors.ts';
import { opChainKey } from '../core/op-chain.ts';
import { SeededRng } from '../core/seeded-rng.ts';
import type { Example } from '../core/types.ts';
import { appliedOps, leafOps } from './compose.ts';
import { changeShare, checkInput } from './constraints.ts';
import { dedupKey } from './dedup.ts';
import type { AugmentOp, OpContext, OpItem, OpNeed, OpResult, SkipReason } from './op.ts';
import type { Recipe } from './recipe.ts';
import { TokenizedText } from './text/tokenized-text.ts';

/** The name under which the runner's own checks (min/max length, max change) are counted in `byOp`. */
export const CONSTRAINTS = 'constraints';

export interface OpCounters {
  produced: number;
  skipped: Partial<Record<SkipReason, number>>;
  duplicates: number;
}

export interface AugmentStats {
  examples: number;
  attempts: number;
  produced: number;
  duplicates: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** per op name: outputs it contributed to, its skips by reason, duplicates among its outputs */
  byOp: Record<string, OpCounters>;
  /** per op chain (src/core/op-chain.ts, the key reports group by): outputs kept and dropped as duplicates */
  byChain: Record<string, { produced: number; duplicates: number }>;
}

export interface AugmentOptions {
  seed: number | string;
  context?: OpContext;
  /** examples per recipe call (model ops batch across them); does not change the output */
  chunkSize?: number;
  /** called after each chunk with the examples done so far */
  onProgress?: (done: number, total: number) => void;
}

export interface AugmentResult {
  examples: Example[];
  stats: AugmentStats;
}

export async function augmentCorpus(
  examples: readonly Example[],
  recipe: Recipe,
  opts: AugmentOptions,
): Promise<AugmentResult> {
  const out: Example[] = [];
  const stats = emptyStats();
  for await (const chunk of augmentStream(examples, recipe, opts, stats)) out.push(...chunk);
  return { examples: out, stats };
}

/** Streaming form: yields each chunk's augmentations in input order; `stats` fills as it goes. */
export async function* augmentStream(
  examples: Iterable<Example> | readonly Example[],
  recipe: Recipe,
  opts: AugmentOptions,
  stats: AugmentStats = emptyStats(),
): AsyncGenerator<Example[]> {
  const chunkSize = opts.chunkSize ?? 256;
  if (!(Number.isInteger(chunkSize) && chunkSize > 0))
    throw new RangeError(`Expected \`chunkSize\` to be an integer > 0, got ${chunkSize}`);
  checkContext(recipe, opts.context ?? {});
  const rng = new SeededRng(opts.seed).fork(`recipe:${recipe.name}`);
  const total = Array.isArray(examples) ? examples.length : NaN;
  let chunk: Example[] = [];
  let done = 0;
  for (const ex of examples) {
    chunk.push(ex);
    if (chunk.length === chunkSize) {
      yield await runChunk(chunk, recipe, rng, opts, stats);
      done += chunk.length;
      opts.onProgress?.(done, total);
      chunk = [];
    }
  }
  if (chunk.length > 0) {
    yield await runChunk(chunk, recipe, rng, opts, stats);
    opts.onProgress?.(done + chunk.length, total);
  }
}

const NEED_HINTS: Record<OpNeed, string> = {
  scorer: 'pass context.scorer, e.g. teacherScorer(teacher) from src/teacher/teacher-scorer.ts',
  fillMasker: 'pass context.fillMasker, e.g. await TransformersFillMasker.load(dir) from src/teacher/fill-masker.ts',
  translator: 'pass context.translator, e.g. new TransformersTranslator({ models }) from src/teacher/translator.ts',
  generator: 'pass context.generator, e.g. textGenerator(await CausalGenerator.load(opts)) from src/teacher/causal/',
};

/** Fail before any work when the recipe needs a model the caller did not provide. */
function checkContext(recipe: Recipe, context: OpContext): void {
  for (const need of recipe.op.needs) {
    if (!context[need]) {
      throw new DistilleryError('CONFIG_INVALID', `Recipe "${recipe.name}" needs a ${need}`, {
        hint: NEED_HINTS[need],
      });
    }
  }
}

export function emptyStats(): AugmentStats {
  return { examples: 0, attempts: 0, produced: 0, duplicates: 0, skipped: {}, byOp: {}, byChain: {} };
}

async function runChunk(
  chunk: readonly Example[],
  recipe: Recipe,
  rng: SeededRng,
  opts: AugmentOptions,
  stats: AugmentStats,
): Promise<Example[]> {
  const items: OpItem[] = [];
  const owners: { example: Example; variant: number; original: TokenizedText }[] = [];
  const early = new Map<number, SkipReason>();
  for (const example of chunk) {
    stats.examples++;
    const original = TokenizedText.parse(sanitize(example.text));
    const reason = checkInput(original, recipe.constraints);
    for (let v = 0; v < recipe.variants; v++) {
      stats.attempts++;
      if (reason) {
        early.set(owners.length, reason);
        owners.push({ example, variant: v, original });
        continue;
      }
      const item: OpItem = { key: `${example.id}#${v}`, text: original };
      if (example.textPair !== undefined) item.textPair = example.textPair;
      owners.push({ example, variant: v, original });
      items.push(item);
    }
  }
  const results = items.length > 0 ? await recipe.op.apply(items, rng, opts.context ?? {}) : [];
  if (results.length !== items.length)
    throw new Error(`Op ${recipe.op.name} returned ${results.length} results for ${items.length} items`);

  const out: Example[] = [];
  const seen = new Map<string, Set<string>>();
  let next = 0;
  owners.forEach((owner, i) => {
    const pre = early.get(i);
    let r: OpResult = pre ? { status: 'skipped', reason: pre, op: CONSTRAINTS } : results[next++]!;
    if (r.status === 'ok') {
      if (r.value.edits === 0 || r.text === owner.original.text)
        r = { status: 'skipped', reason: 'no-change', op: recipe.op.name };
      else if (changeShare(owner.original, r.value) > recipe.constraints.maxChangeShare)
        r = { status: 'skipped', reason: 'max-change-exceeded', op: CONSTRAINTS };
    }
    if (r.status !== 'ok') {
      count(stats.skipped, r.reason);
      count(opCounters(stats, r.op ?? recipe.op.name).skipped, r.reason);
      return;
    }
    const ops = appliedOps(recipe.op, r);
    const parent = owner.example;
    let keys = seen.get(parent.id);
    if (!keys) seen.set(parent.id, (keys = new Set([dedupKey(parent)])));
    const key = dedupKey(r);
    const chain = (stats.byChain[opChainKey(ops)] ??= { produced: 0, duplicates: 0 });
    if (keys.has(key)) {
      stats.duplicates++;
      chain.duplicates++;
      for (const name of distinct(ops)) opCounters(stats, name).duplicates++;
      return;
    }
    keys.add(key);
    stats.produced++;
    chain.produced++;
    for (const name of distinct(ops)) opCounters(stats, name).produced++;
    out.push(toExample(parent, owner.variant, r, ops, recipe, String(opts.seed)));
  });
  return out;
}

const LEAVES = new WeakMap<AugmentOp, Map<string, AugmentOp>>();
/**
 * Per recipe, the provenance params of each (variant, op chain) without `info`: equal for every example that
 * shares them, so they are built once and shared (frozen: nothing may edit one example's through another).
 */
const SHARED_PARAMS = new WeakMap<Recipe, Map<string, Readonly<Record<string, unknown>>>>();

function toExample(
  parent: Example,
  variant: number,
  r: Extract<OpResult, { status: 'ok' }>,
  ops: string[],
  recipe: Recipe,
  seed: string,
): Example {
  // only the params of the ops that edited this example, not the whole recipe tree
  const build = (): Record<string, unknown> => {
    let leaves = LEAVES.get(recipe.op);
    if (!leaves) LEAVES.set(recipe.op, (leaves = leafOps(recipe.op)));
    const opParams = Object.fromEntries(ops.map((name) => [name, leaves.get(name)?.params ?? {}]));
    return { recipe: recipe.name, variant, ...recipe.params, ops: opParams };
  };
  let params: Readonly<Record<string, unknown>>;
  if (r.info) params = { ...build(), info: r.info };
  else {
    let shared = SHARED_PARAMS.get(recipe);
    if (!shared) SHARED_PARAMS.set(recipe, (shared = new Map()));
    const key = `${variant}\u0000${ops.join('\u0000')}`;
    let found = shared.get(key);
    if (!found) {
      const built = build();
      Object.freeze(built.ops);
      shared.set(key, (found = Object.freeze(built)));
    }
    params = found;
  }
  const ex: Example = {
    id: `${parent.id}~${recipe.name}-${variant}`,
    text: r.text,
    // A label-changing op must not inherit the gold label; the teacher labels it.
    label: recipe.op.preservesLabel ? (parent.label ?? null) : null,
    origin: { kind: 'augmentation', parentId: parent.id, ops, params, seed, changed: [...r.changed] },
  };
  if (r.textPair !== undefined) ex.textPair = r.textPair;
  return ex;
}

/** Each op name once; a one-op chain (most of them) as it is. */
const distinct = (ops: string[]): Iterable<string> => (ops.length < 2 ? ops : new Set(ops));

/** Loose JSON input can carry a null or a number where text belongs; it becomes a status, not a crash. */
function sanitize(s: string): string {
  return typeof s === 'string' ? s : String(s ?? '');
}

function count<K extends string>(m: Partial<Record<K, number>>, k: K): void {
  m[k] = (m[k] ?? 0) + 1;
}

function opCounters(stats: AugmentStats, name: string): OpCounters {
  return (stats.byOp[name] ??= { produced: 0, skipped: {}, duplicates: 0 });
}
