/**
 * POST /v1/augment: texts + recipe + seed -> augmented texts with provenance (src/augment).
 * Teacher-guided ops score through the soft labeller, so they share its micro-batches and cache;
 * masked-LM and back-translation ops use the models the server config names (augmentModels), loaded
 * once and shared with HTTP jobs.
 */
import { Router } from 'express';
import { z } from 'zod';
import {
  augmentCorpus,
  BUILTIN_RECIPES,
  compileRecipe,
  remoteRecipeSpecSchema,
  type CompileOptions,
  type OpContext,
  type Recipe,
} from '../../augment/index.ts';
import { isDistilleryError } from '../../core/errors.ts';
import type { Example } from '../../core/types.ts';
import { DeadlineExceededError, type AugmentModels, type AugmentPool } from '../../jobs/index.ts';
import type { SoftLabeler } from '../../labels/index.ts';
import type { RouteModule } from '../app.ts';
import { HttpProblem } from '../problem.ts';
import { TEACHER_NAME } from '../schemas.ts';
import { parseOr422 } from '../validate.ts';

/** Every built-in recipe by its bare name, as a job's `recipe` takes them (src/jobs/job-schema.ts). */
const BUILTIN_NAMES = Object.keys(BUILTIN_RECIPES) as [string, ...string[]];

/** Outputs per request are bounded too: texts x variants. */
const MAX_ATTEMPTS_PER_TEXT = 16;

function augmentSchemas(maxTexts: number, maxChars: number) {
  const text = z.string().min(1, 'must not be empty').max(maxChars, `at most ${maxChars} characters per text`);
  const example = z
    .object({
      id: z
        .string()
        .regex(/^[\w.~:-]{1,128}$/, 'letters, digits and . _ ~ : -, at most 128')
        .optional(),
      text,
      textPair: text.optional(),
      label: z
        .union([z.string().max(128), z.number()])
        .nullable()
        .optional(),
    })
    .strict();
  const request = z
    .object({
      inputs: z
        .array(
          z.union([text, example], {
            error: 'expected a string or an object {"text": ..., "id"?, "label"?, "textPair"?}',
          }),
        )
        .min(1, 'give at least one text')
        .max(maxTexts, `at most ${maxTexts} texts per request`),
      recipe: z
        .union([z.enum(BUILTIN_NAMES), remoteRecipeSpecSchema()], {
          error: `expected a builtin recipe name (${BUILTIN_NAMES.join(', ')}) or a recipe spec`,
        })
        .describe(
          'a builtin name or a recipe spec (the JOB.yaml schema; lexicons inline as `terms` or by configured name as `lexicon`, never by file)',
        ),
      seed: z.union([z.number().int(), z.string().min(1).max(128)]),
      teacher: z
        .string()
        .regex(TEACHER_NAME)
        .optional()
        .describe(
          'configured teacher that scores texts for teacher-guided ops (adversarial); defaults to augmentModels.scorer, else the default teacher',
        ),
    })
    .strict();
  const response = z.object({
    examples: z.array(
      z.object({
        id: z.string(),
        text: z.string(),
        textPair: z.string().optional(),
        label: z.union([z.string(), z.number(), z.null()]).optional(),
        origin: z.record(z.string(), z.unknown()),
      }),
    ),
    stats: z.record(z.string(), z.unknown()),
  });
  return { request, response };
}

/** A recipe the configured models cannot run: 422 naming the config key to set. */
function recipeProblem(err: unknown): unknown {
  if (!isDistilleryError(err) || err.code !== 'INVALID_INPUT') return err;
  return new HttpProblem(422, `field /recipe: ${err.message}`, {
    errors: [{ pointer: '/recipe', detail: err.message }],
    ...(err.hint ? { hint: err.hint } : {}),
  });
}

export interface AugmentRouteDeps {
  labeler: SoftLabeler;
  teacherNames: readonly string[];
  /** scores teacher-guided ops (adversarial) when a request names no teacher */
  defaultTeacher: string;
  /** the masked LM and translation models the server config names (augmentModels) */
  models: AugmentModels;
  maxTexts: number;
  maxChars: number;
  /** the operator's lexicon catalogue and file size cap */
  compile: CompileOptions;
  /** runs recipes that need no model off the event loop */
  pool?: AugmentPool;
  /** characters x variants a request may ask for (limits.augmentCostBudget) */
  costBudget?: number;
  retryAfterSeconds?: number;
}

/** What a request costs before any work: every character of every text, once per variant. */
function costOf(
  inputs: readonly (string | { text: string; textPair?: string | undefined })[],
  variants: number,
): number {
  let chars = 0;
  for (const i of inputs) chars += typeof i === 'string' ? i.length : i.text.length + (i.textPair?.length ?? 0);
  return chars * variants;
}

export function augmentModule(deps: AugmentRouteDeps): RouteModule {
  return {
    router() {
      const { request } = augmentSchemas(deps.maxTexts, deps.maxChars);
      const router = Router();
      router.post('/v1/augment', async (req, res) => {
        const body = parseOr422(request, req.body);
        let recipe: Recipe;
        try {
          recipe = compileRecipe(body.recipe, deps.compile);
        } catch (err) {
          if (isDistilleryError(err))
            throw new HttpProblem(422, `field /recipe: ${err.message}`, {
              errors: [{ pointer: '/recipe', detail: err.message }],
              ...(err.hint ? { hint: err.hint } : {}),
            });
          throw err;
        }
        if (body.inputs.length * recipe.variants > deps.maxTexts * MAX_ATTEMPTS_PER_TEXT) {
          throw new HttpProblem(
            413,
            `${body.inputs.length} texts x ${recipe.variants} variants is over the ${deps.maxTexts * MAX_ATTEMPTS_PER_TEXT} outputs a request may ask for`,
            {
              hint: 'send fewer texts or variants per request, or run a job (POST /v1/jobs)',
            },
          );
        }
        const cost = costOf(body.inputs, recipe.variants);
        if (deps.costBudget !== undefined && cost > deps.costBudget)
          throw new HttpProblem(
            413,
            `this request costs ${cost} (characters x variants), over the budget of ${deps.costBudget} a request may ask for`,
            { hint: 'send fewer or shorter texts, or fewer variants, per request, or run a job (POST /v1/jobs)' },
          );
        try {
          deps.models.check(recipe);
        } catch (err) {
          throw recipeProblem(err);
        }
        let scorer: OpContext['scorer'];
        if (recipe.op.needs.includes('scorer')) {
          const teacher = body.teacher ?? deps.defaultTeacher;
          if (!deps.teacherNames.includes(teacher))
            throw new HttpProblem(404, `field /teacher: no teacher named "${teacher}"`, {
              errors: [{ pointer: '/teacher', detail: 'not configured' }],
            });
          scorer = {
            score: async (inputs) =>
              (
                await deps.labeler.label(teacher, inputs, { logits: false, temperatures: [1], encoding: 'fp32' })
              ).outputs.map((o) => o.probs![0]!),
          };
        }
        const examples: Example[] = body.inputs.map((input, i) => {
          const e = typeof input === 'string' ? { text: input } : input;
          const ex: Example = {
            id: e.id ?? String(i),
            text: e.text,
            label: e.label ?? null,
            origin: { kind: 'original' },
          };
          if (e.textPair !== undefined) ex.textPair = e.textPair;
          return ex;
        });
        const ids = new Set(examples.map((e) => e.id));
        if (ids.size !== examples.length)
          throw new HttpProblem(422, 'field /inputs: example ids must be unique', {
            errors: [{ pointer: '/inputs', detail: 'duplicate id' }],
          });
        const controller = new AbortController();
        res.on('close', () => controller.abort());
        if (deps.pool && recipe.op.needs.length === 0) {
          try {
            const result = await deps.pool.run({ examples, recipe: body.recipe, seed: body.seed }, controller.signal);
            res
              .type('application/json')
              .send(Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength));
          } catch (err) {
            if (err instanceof DeadlineExceededError)
              throw new HttpProblem(
                503,
                err.message,
                { hint: 'retry with fewer or shorter texts or fewer variants, or run a job (POST /v1/jobs)' },
                { 'Retry-After': String(deps.retryAfterSeconds ?? 1) },
              );
            throw err;
          }
          return;
        }
        // loads the recipe's masked LM / translation models on first use (a load failure is a 503)
        const context: OpContext = await deps.models.context(recipe).catch((err: unknown) => {
          throw recipeProblem(err);
        });
        if (scorer) context.scorer = scorer;
        context.signal = controller.signal;
        const result = await augmentCorpus(examples, recipe, { seed: body.seed, context });
        res.json({ examples: result.examples, stats: result.stats });
      });
      return router;
    },
    docs() {
      const { request, response } = augmentSchemas(deps.maxTexts, deps.maxChars);
      return [
        {
          method: 'post',
          path: '/v1/augment',
          summary:
            'Augment texts with a recipe and seed; each output records parent, op chain, params, seed and changed positions. Masked-LM and back-translation recipes need the models named in the server config (augmentModels), else 422',
          body: request,
          response,
          errors: [400, 401, 404, 413, 415, 422, 429, 503],
        },
      ];
    },
  };
}
