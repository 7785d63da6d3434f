/**
 * Strict schemas for every op's params and every builtin's params: unknown keys and out-of-range values
 * are refused with the field named, instead of being ignored by the op constructors.
 *
 * This is also the one place that says which params are server paths (`PATH_PARAMS`): the `paths: false`
 * variant, used for anything that arrives over HTTP, has no such field at all, so no request can name a
 * server file whatever op or recipe it nests it in.
 */
import { z } from 'zod';
import { MAX_NEW_TOKENS, MAX_STOP_STRINGS } from '../../core/generation-params.ts';
import { CHAR_EDITS } from './char-noise-op.ts';

/** Caps on an inline lexicon (`lexicon` op `terms`): the request body limit bounds it too. */
export const INLINE_LEXICON_MAX_TERMS = 5000;
export const INLINE_LEXICON_MAX_CHARS = 200;

/** Op params that name a file on the machine that runs the recipe. */
export const PATH_PARAMS: Readonly<Record<string, readonly string[]>> = Object.freeze({ lexicon: ['file'] });

/** (0, 1], said the way the op constructors say it. */
const share = (name: string) =>
  z.number().refine((v) => Number.isFinite(v) && v > 0 && v <= 1, {
    error: (iss) => `Expected \`${name}\` to be a number in (0, 1], got ${String(iss.input)}`,
  });
const count = (name: string, min: number, max: number) =>
  z.number().refine((v) => Number.isInteger(v) && v >= min && v <= max, {
    error: (iss) => `Expected \`${name}\` to be an integer in [${min}, ${max}], got ${String(iss.input)}`,
  });
const lang = z.string().regex(/^[a-z]{2,3}$/, 'a language code such as "en" or "de"');
const termText = z.string().min(1).max(INLINE_LEXICON_MAX_CHARS);
const relatedTerm = z.union([termText, z.strictObject({ term: termText, type: z.string().min(1).max(64).optional() })]);

export const LEXICON_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function lexiconParams(paths: boolean) {
  const base = {
    alpha: share('alpha').optional(),
    types: z.array(z.string().min(1).max(64)).min(1).max(32).optional(),
    terms: z
      .record(termText, z.array(relatedTerm).min(1).max(64))
      .refine((t) => Object.keys(t).length <= INLINE_LEXICON_MAX_TERMS, {
        error: `at most ${INLINE_LEXICON_MAX_TERMS} terms inline; larger lexicons belong in the server config (lexicons)`,
      })
      .optional()
      .describe('an inline lexicon: { "term": ["related", { "term": "...", "type": "..." }] }'),
    lexicon: z
      .string()
      .regex(LEXICON_NAME, 'a lexicon name from the server config (lexicons)')
      .optional()
      .describe('a lexicon the server config lists under `lexicons`'),
  };
  const sources = paths ? ['file', 'terms', 'lexicon'] : ['terms', 'lexicon'];
  const shape = paths
    ? { ...base, file: z.string().min(1).optional().describe('a JSON or TSV lexicon file (job files only)') }
    : base;
  return z.strictObject(shape).superRefine((p, ctx) => {
    const given = sources.filter((k) => (p as Record<string, unknown>)[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: given.length > 1 ? [given[1]!] : [],
        message: `give exactly one of ${sources.map((s) => `\`${s}\``).join(', ')}`,
      });
  });
}

/** Params of each op, by op name. */
export function opParamSchemas(paths: boolean) {
  return {
    synonym: z.strictObject({
      alpha: share('alpha').optional(),
      posAware: z.boolean().optional(),
      phrases: z.boolean().optional(),
    }),
    insert: z.strictObject({ alpha: share('alpha').optional() }),
    delete: z.strictObject({ alpha: share('alpha').optional(), protectStopwords: z.boolean().optional() }),
    swap: z.strictObject({ alpha: share('alpha').optional() }),
    'char-noise': z.strictObject({
      alpha: share('alpha').optional(),
      budget: count('budget', 1, 1000).optional(),
      edits: z
        .array(z.enum(CHAR_EDITS as [string, ...string[]]))
        .min(1)
        .max(CHAR_EDITS.length)
        .optional(),
      minWordLength: count('minWordLength', 2, 100).optional(),
    }),
    lexicon: lexiconParams(paths),
    adversarial: z.strictObject({
      maxShare: share('maxShare').optional(),
      maxCandidates: count('maxCandidates', 1, 100).optional(),
    }),
    'masked-lm': z.strictObject({ p: share('p').optional(), topK: count('topK', 1, 100).optional() }),
    'back-translate': backTranslateParams,
    generate: generateParams.extend({ keepLabel: z.boolean().optional() }),
  } as const;
}

/** Prompt and decoding of the generate op (src/core/generation-params.ts holds the same ranges). */
const generateParams = z.strictObject({
  template: z
    .string()
    .max(4000)
    .refine((t) => t.includes('{text}'), { error: 'the template must hold {text}, where the text goes' })
    .optional(),
  system: z.string().min(1).max(4000).optional(),
  format: z.enum(['auto', 'chat', 'plain']).optional(),
  maxNewTokens: count('maxNewTokens', 1, MAX_NEW_TOKENS).optional(),
  temperature: z.number().min(0).max(10).optional(),
  topK: count('topK', 0, 1_000_000).optional(),
  topP: z.number().gt(0).max(1).optional(),
  repetitionPenalty: z.number().gt(0).max(10).optional(),
  stop: z.array(z.string().min(1).max(200)).max(MAX_STOP_STRINGS).optional(),
});

const backTranslateParams = z.strictObject({
  source: lang.optional(),
  pivots: z.array(lang).min(1).max(4).optional(),
  temperature: z.number().min(0).max(10).optional(),
  topK: count('topK', 0, 1000).optional(),
  maxNewTokens: count('maxNewTokens', 1, 1024).optional(),
});

/** Params a builtin recipe takes (the rest comes from its paper's defaults). */
export const BUILTIN_PARAM_SCHEMAS = {
  eda: z.strictObject({ alpha: share('alpha').optional() }),
  tinybert: z.strictObject({ p: share('p').optional(), topK: count('topK', 1, 100).optional() }),
  backtranslate: backTranslateParams,
  paraphrase: generateParams,
  adversarial: z.strictObject({
    maxShare: share('maxShare').optional(),
    maxCandidates: count('maxCandidates', 1, 100).optional(),
  }),
} as const;
