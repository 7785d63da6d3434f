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
import { createOp, OP_NAMES } from './ops/registry.ts';
import type { Recipe } from './recipe.ts';
import { BUILTIN_RECIPES, type BuiltinName } from './recipes/index.ts';

export type FlowNode =
  | { op: (typeof OP_NAMES)[number]; params?: Record<string, unknown> }
  | { sequence: FlowNode[] }
  | { sometimes: number; do: FlowNode }
  | { oneOf: FlowNode[]; weights?: number[] };

export const FlowNodeSchema: z.ZodType<FlowNode> = z.lazy(() =>
  z.union([
    z.strictObject({ op: z.enum(OP_NAMES), params: z.record(z.string(), z.unknown()).optional() }),
    z.strictObject({ sequence: z.array(FlowNodeSchema).min(1) }),
    z.strictObject({ sometimes: z.number().min(0).max(1), do: FlowNodeSchema }),
    z.strictObject({ oneOf: z.array(FlowNodeSchema).min(1), weights: z.array(z.number().nonnegative()).optional() }),
  ]),
);

export const ConstraintsSchema = z.strictObject({
  minWords: z.number().int().min(0).optional(),
  maxWords: z.number().int().min(0).optional(),
  maxChangeShare: z.number().gt(0).max(1).optional(),
});

export const RecipeSpecSchema = z.union([
  z.strictObject({
    builtin: z.enum(['eda', 'tinybert', 'backtranslate', 'adversarial']),
    /** EDA picks alpha and n_aug from the training-set size */
    trainingSize: z.number().int().positive().optional(),
    variants: z.number().int().positive().max(1000).optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    constraints: ConstraintsSchema.optional(),
  }),
  z.strictObject({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\w.-]+$/)
      .default('custom'),
    flow: FlowNodeSchema,
    variants: z.number().int().positive().max(1000).default(1),
    constraints: ConstraintsSchema.optional(),
  }),
]);
export type RecipeSpec = z.input<typeof RecipeSpecSchema>;

/** A builtin name ("eda") or a spec object -> a runnable recipe. Bad input -> CONFIG_INVALID with the path. */
export function compileRecipe(spec: unknown): Recipe {
  const parsed = RecipeSpecSchema.safeParse(typeof spec === 'string' ? { builtin: spec } : spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
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
      op: compileFlow(s.flow),
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

export function compileFlow(node: FlowNode): AugmentOp {
  if ('op' in node) return createOp(node.op, node.params ?? {});
  if ('sequence' in node) return new Sequence(node.sequence.map(compileFlow));
  if ('sometimes' in node) return new Sometimes(node.sometimes, compileFlow(node.do));
  try {
    return new OneOf(node.oneOf.map(compileFlow), node.weights);
  } catch (err) {
    throw new DistilleryError('CONFIG_INVALID', err instanceof Error ? err.message : String(err), {
      hint: 'give one weight per oneOf branch',
    });
  }
}
