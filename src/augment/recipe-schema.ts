/**
 * Recipes as data: the zod schema shared by the job file, the HTTP API and the CLI, and its compiler.
 *
 *   { "builtin": "eda", "trainingSize": 2000 }
 *   { "name": "typos-then-synonyms", "variants": 4,
 *     "flow": { "sequence": [ { "op": "char-noise", "params": { "budget": 2 } },
 *                             { "sometimes": 0.5, "do": { "op": "synonym" } } ] },
 *     "constraints": { "minWords": 3, "maxChangeShare": 0.3 } }
 */
import { z } from 'zod';
import { DistilleryError } from '../core/errors.ts';
import { OneOf, Sequence, Sometimes } from './compose.ts';
import { DEFAULT_CONSTRAINTS } from './constraints.ts';
import type { AugmentOp } from './op.ts';
import { BUILTIN_PARAM_SCHEMAS, opParamSchemas } from './ops/param-schemas.ts';
import { createOp, OP_NAMES, type CreateOpOptions as CompileOptions } from './ops/registry.ts';
import type { Recipe } from './recipe.ts';
import { BUILTIN_RECIPES, type BuiltinName } from './recipes/index.ts';

export type FlowNode =
  | { op: (typeof OP_NAMES)[number]; params?: Record<string, unknown> }
  | { sequence: FlowNode[] }
  | { sometimes: number; do: FlowNode }
  | { oneOf: FlowNode[]; weights?: number[] };

/** A flow deeper or larger than this is refused before it is compiled (and before it can exhaust the stack). */
export const MAX_FLOW_DEPTH = 16;
export const MAX_FLOW_NODES = 256;

/** Depth and node count of a flow, counted without recursion. */
function flowSize(root: unknown): { depth: number; nodes: number } {
  let depth = 0;
  let nodes = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0 && nodes <= MAX_FLOW_NODES) {
    const [node, d] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    nodes++;
    depth = Math.max(depth, d);
    const n = node as Record<string, unknown>;
    const children = [n.sequence, n.oneOf].flatMap((c) => (Array.isArray(c) ? c : []));
    if (n.do !== undefined) children.push(n.do);
    for (const c of children) stack.push([c, d + 1]);
  }
  return { depth, nodes };
}

function makeFlowNodeSchema(paths: boolean): z.ZodType<FlowNode> {
  const params = opParamSchemas(paths);
  const opNode = z.discriminatedUnion(
    'op',
    OP_NAMES.map((name) => z.strictObject({ op: z.literal(name), params: params[name].optional() })) as unknown as [
      z.ZodObject,
      ...z.ZodObject[],
    ],
  );
  const node: z.ZodType<FlowNode> = z.lazy(() =>
    z.union([
      opNode,
      z.strictObject({ sequence: z.array(node).min(1).max(64) }),
      z.strictObject({ sometimes: z.number().min(0).max(1), do: node }),
      z.strictObject({ oneOf: z.array(node).min(1).max(64), weights: z.array(z.number().nonnegative()).optional() }),
    ]),
  ) as z.ZodType<FlowNode>;
  return node;
}

/** The size caps, checked on the parsed flow (the HTTP layer caps JSON nesting before anything parses). */
function cappedFlow(node: z.ZodType<FlowNode>) {
  return node.superRefine((v, ctx) => {
    const { depth, nodes } = flowSize(v);
    if (depth > MAX_FLOW_DEPTH || nodes > MAX_FLOW_NODES)
      ctx.addIssue({
        code: 'custom',
        message: `a flow may nest at most ${MAX_FLOW_DEPTH} deep and hold at most ${MAX_FLOW_NODES} nodes`,
      });
  });
}

export const ConstraintsSchema = z.strictObject({
  minWords: z.number().int().min(0).max(100_000).optional(),
  maxWords: z.number().int().min(0).max(100_000).optional(),
  maxChangeShare: z.number().gt(0).max(1).optional(),
});

/**
 * `paths: false` is the recipe a request from another machine may send: no field of it names a file
 * (src/augment/ops/param-schemas.ts decides which fields those are).
 */
export function makeRecipeSpecSchema(paths: boolean) {
  const builtin = <N extends BuiltinName>(name: N) =>
    z.strictObject({
      builtin: z.literal(name),
      /** EDA picks alpha and n_aug from the training-set size */
      trainingSize: z.number().int().positive().max(1e12).optional(),
      variants: z.number().int().positive().max(1000).optional(),
      params: (BUILTIN_PARAM_SCHEMAS[name] as z.ZodType<Record<string, unknown>>).optional(),
      constraints: ConstraintsSchema.optional(),
    });
  return z.union([
    z.discriminatedUnion('builtin', [
      builtin('eda'),
      builtin('tinybert'),
      builtin('backtranslate'),
      builtin('adversarial'),
      builtin('paraphrase'),
    ]),
    z.strictObject({
      name: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[\w.-]+$/)
        .default('custom'),
      flow: cappedFlow(makeFlowNodeSchema(paths)),
      variants: z.number().int().positive().max(1000).default(1),
      constraints: ConstraintsSchema.optional(),
    }),
  ]);
}

export const RecipeSpecSchema = makeRecipeSpecSchema(true);
let remoteRecipeSpec: typeof RecipeSpecSchema | undefined;
/**
 * What HTTP requests may send: the same recipes, without any field that names a server file. Built on
 * first use, since each recipe schema builds every op's params: `distillery augment` needs only the one
 * above.
 */
export const remoteRecipeSpecSchema = (): typeof RecipeSpecSchema => (remoteRecipeSpec ??= makeRecipeSpecSchema(false));
export type RecipeSpec = z.input<typeof RecipeSpecSchema>;

type Issue = z.core.$ZodIssue;

/** Inside a union, the issue of the branch that got furthest into the value says what is wrong. */
function deepestIssue(issue: Issue, prefix: PropertyKey[] = []): Issue {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    let best: Issue | undefined;
    for (const branch of issue.errors)
      for (const i of branch) {
        const d = deepestIssue(i, path);
        if (!best || d.path.length > best.path.length) best = d;
      }
    if (best && best.path.length > path.length) return best;
  }
  return { ...issue, path } as Issue;
}

/** Where a compiled recipe finds lexicons named by `lexicon` (the operator's catalogue: name -> file). */
export type { CreateOpOptions as CompileOptions } from './ops/registry.ts';

/** A builtin name ("eda") or a spec object -> a runnable recipe. Bad input -> CONFIG_INVALID with the path. */
export function compileRecipe(spec: unknown, opts: CompileOptions = {}): Recipe {
  const parsed = RecipeSpecSchema.safeParse(typeof spec === 'string' ? { builtin: spec } : spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] && deepestIssue(parsed.error.issues[0]);
    const where = issue?.path.length ? issue.path.join('.') : 'recipe';
    throw new DistilleryError('CONFIG_INVALID', `Invalid recipe at ${where}: ${issue?.message ?? 'unknown problem'}`, {
      hint: `use a builtin (${Object.keys(BUILTIN_RECIPES).join(', ')}) or { "flow": { "op": "synonym" }, "variants": 2 }`,
    });
  }
  const s = parsed.data;
  let recipe: Recipe;
  if ('builtin' in s) {
    const opts: { trainingSize?: number; variants?: number; params?: Record<string, unknown> } = {};
    if (s.trainingSize !== undefined) opts.trainingSize = s.trainingSize;
    if (s.variants !== undefined) opts.variants = s.variants;
    if (s.params !== undefined) opts.params = s.params;
    try {
      recipe = BUILTIN_RECIPES[s.builtin as BuiltinName](opts);
    } catch (err) {
      throw new DistilleryError(
        'CONFIG_INVALID',
        `Recipe "${s.builtin}": ${err instanceof Error ? err.message : String(err)}`,
        {
          hint: 'fix the params of the builtin recipe',
          cause: err,
        },
      );
    }
  } else {
    recipe = {
      name: s.name,
      op: compileFlow(s.flow, opts),
      variants: s.variants,
      constraints: { ...DEFAULT_CONSTRAINTS },
      params: {},
    };
  }
  if (s.constraints) {
    const c = { ...recipe.constraints };
    for (const [k, v] of Object.entries(s.constraints)) if (v !== undefined) (c as Record<string, number>)[k] = v;
    recipe = { ...recipe, constraints: c };
  }
  return recipe;
}

export function compileFlow(node: FlowNode, opts: CompileOptions = {}): AugmentOp {
  const child = (n: FlowNode) => compileFlow(n, opts);
  if ('op' in node) return createOp(node.op, node.params ?? {}, opts);
  if ('sequence' in node) return new Sequence(node.sequence.map(child));
  if ('sometimes' in node) return new Sometimes(node.sometimes, child(node.do));
  try {
    return new OneOf(node.oneOf.map(child), node.weights);
  } catch (err) {
    throw new DistilleryError('CONFIG_INVALID', err instanceof Error ? err.message : String(err), {
      hint: 'give one weight per oneOf branch',
    });
  }
}
