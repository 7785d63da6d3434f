/**
 * The job file (JOB.yaml) and the body of POST /v1/jobs: one schema, so the CLI and the HTTP API accept
 * exactly the same jobs. Messages name the field path: `outputs.temperatures[1]: expected a number in [0.05, 100]`.
 */
import { z } from 'zod';
import { parseYaml } from '../core/yaml.ts';
import { DistilleryError } from '../core/errors.ts';
import { remoteRecipeSpecSchema } from '../augment/index.ts';
import { recipeOf, recipeSchema } from './recipe-field-schema.ts';
import type { OutputSpec } from '../core/types.ts';
import { sequenceJobSchema } from './sequence/sequence-job-schema.ts';

const name = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .trim()
    .min(1, { error: `expected ${what}` });
const positiveInt = (what = 'an integer >= 1') =>
  z
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .min(1, { error: `expected ${what}` });
const layerList = z.union(
  [
    z.literal('all'),
    z.literal('last'),
    z
      .array(
        z
          .number()
          .int()
          .min(0, { error: 'expected a layer index >= 0' })
          .max(255, { error: 'expected a layer index <= 255' }),
      )
      .min(1)
      .max(64),
  ],
  {
    error: 'expected "all", "last" or a list of layer indices',
  },
);

export const corpusSchema = z.strictObject({
  path: name('a file path'),
  format: z.enum(['jsonl', 'csv', 'tsv', 'text'], { error: 'expected one of jsonl, csv, tsv, text' }).optional(),
  textColumn: name('a column name').optional(),
  pairColumn: name('a column name').optional(),
  labelColumn: name('a column name').optional(),
  idColumn: z
    .union([name('a column name'), z.literal(false)], { error: 'expected a column name, or false for line numbers' })
    .optional(),
  skipInvalid: z.boolean({ error: 'expected true or false' }).default(false),
});

export { recipeSchema };

/** Softmax temperatures a request may ask for: every output spec (jobs, soft labels, exports) uses these. */
export const MIN_TEMPERATURE = 0.05;
export const MAX_TEMPERATURE = 100;
export const MAX_TEMPERATURES = 16;
const temperatureRange = `expected a number in [${MIN_TEMPERATURE}, ${MAX_TEMPERATURE}]`;
export const temperatureSchema = z
  .number({ error: temperatureRange })
  .min(MIN_TEMPERATURE, { error: temperatureRange })
  .max(MAX_TEMPERATURE, { error: temperatureRange });
/** Repeats are dropped (first one kept): ten thousand "1"s are one probabilities column, not ten thousand. */
export const temperaturesSchema = z
  .array(temperatureSchema, { error: 'expected a list of numbers' })
  .max(MAX_TEMPERATURES, { error: `at most ${MAX_TEMPERATURES} temperatures` })
  .transform((ts) => [...new Set(ts)]);

export const teacherRefSchema = z.strictObject({
  name: name('a teacher name from the registry'),
  weight: z.number({ error: 'expected a number > 0' }).gt(0, { error: 'expected a number > 0' }).default(1),
});

export const outputsSchema = z.strictObject({
  logits: z.boolean({ error: 'expected true or false' }).default(true),
  temperatures: temperaturesSchema.default([1]),
  topK: positiveInt().max(1000, { error: 'expected an integer in [1, 1000]' }).optional(),
  hidden: z
    .strictObject({
      layers: layerList,
      pooling: z.enum(['cls', 'mean', 'none'], { error: 'expected cls, mean or none' }).default('cls'),
    })
    .optional(),
  attentions: z.strictObject({ layers: layerList }).optional(),
  encoding: z.enum(['fp32', 'fp16', 'int8'], { error: 'expected fp32, fp16 or int8' }).default('fp32'),
});

export const filtersSchema = z.strictObject({
  /** an augmentation whose teacher prediction differs from its original's */
  disagreement: z.enum(['keep', 'drop', 'flag'], { error: 'expected keep, drop or flag' }).default('keep'),
  /** confidence band of the teacher's top probability (T = 1) */
  minConfidence: z.number().min(0).max(1, { error: 'expected a number in [0, 1]' }).optional(),
  maxConfidence: z.number().min(0).max(1, { error: 'expected a number in [0, 1]' }).optional(),
  outsideBand: z.enum(['drop', 'flag'], { error: 'expected drop or flag' }).default('drop'),
});

export const exportTargetSchema = z.strictObject({
  format: z.enum(['parquet', 'safetensors', 'jsonl'], { error: 'expected parquet, safetensors or jsonl' }),
  out: name('an output directory'),
  /** ensembles: add a column of probabilities averaged over teachers with their weights */
  average: z.boolean().default(false),
});

const SHARD = /^(\d+)\/(\d+)$/;
export const shardSchema = z
  .string({ error: 'expected "i/n" with 0 <= i < n' })
  .regex(SHARD, { error: 'expected "i/n" with 0 <= i < n' })
  .transform((s, ctx) => {
    const [, i, n] = SHARD.exec(s)!;
    const index = Number(i);
    const count = Number(n);
    if (!(count >= 1 && index < count)) {
      ctx.addIssue({ code: 'custom', message: 'expected "i/n" with 0 <= i < n' });
      return z.NEVER;
    }
    return { index, count };
  });

function makeJobSchema(recipe: ReturnType<typeof recipeOf>) {
  return z
    .strictObject({
      dataset: z.string({ error: 'expected a dataset id' }).regex(/^[a-z0-9][a-z0-9._-]{0,47}$/, {
        error: 'expected a dataset id: lowercase letters, digits, ".", "_" or "-", at most 48 characters',
      }),
      corpus: corpusSchema,
      recipe: recipe.nullable().default(null),
      seed: z.union([z.number().int(), z.string().min(1)], { error: 'expected an integer or a string' }).default(1),
      teachers: z
        .array(
          z.preprocess((v) => (typeof v === 'string' ? { name: v } : v), teacherRefSchema),
          { error: 'expected a list of teacher names or { name, weight }' },
        )
        .min(1, { error: 'expected at least one teacher' })
        .max(16, { error: 'at most 16 teachers' }),
      outputs: outputsSchema.default({ logits: true, temperatures: [1], encoding: 'fp32' }),
      /** models for model-backed augmentation ops, relative to the models dir: masked-LM, translation pairs, a causal LM */
      augmentModels: z
        .strictObject({
          fillMask: name('a model folder').optional(),
          generator: name('a model folder').optional(),
          translation: z
            .record(
              z.string().regex(/^[a-z]{2,3}-[a-z]{2,3}$/, { error: 'expected a direction such as en-de' }),
              name('a model folder'),
            )
            .optional(),
        })
        .optional(),
      filters: filtersSchema.optional(),
      export: z.array(exportTargetSchema).default([]),
      chunkSize: positiveInt('an integer >= 1 (examples per chunk)').max(1_000_000).default(1000),
      shard: shardSchema.optional(),
      /** per-position outputs and scored positions of a causal-LM (text-generation) teacher */
      sequence: sequenceJobSchema.optional(),
    })
    .superRefine((job, ctx) => {
      const seen = new Set<string>();
      job.teachers.forEach((t, i) => {
        if (seen.has(t.name))
          ctx.addIssue({
            code: 'custom',
            path: ['teachers', i, 'name'],
            message: `teacher "${t.name}" is listed twice`,
          });
        seen.add(t.name);
      });
      job.export.forEach((t, i) => {
        if (t.average && job.teachers.length < 2)
          ctx.addIssue({
            code: 'custom',
            path: ['export', i, 'average'],
            message: 'averaging needs two or more teachers',
          });
        if (t.average && t.format !== 'parquet')
          ctx.addIssue({
            code: 'custom',
            path: ['export', i, 'format'],
            message: 'the averaged export is written as parquet',
          });
      });
      const f = job.filters;
      if (f && !job.outputs.logits && job.outputs.temperatures.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['filters'],
          message: 'teacher filters need logits: set outputs.logits or outputs.temperatures',
        });
      }
      if (f?.minConfidence !== undefined && f.maxConfidence !== undefined && f.minConfidence > f.maxConfidence) {
        ctx.addIssue({
          code: 'custom',
          path: ['filters', 'maxConfidence'],
          message: 'expected maxConfidence >= minConfidence',
        });
      }
    });
}

/** A job file: run by the user on their own machine, so its recipe may name local files (lexicons). */
export const jobSchema = makeJobSchema(recipeSchema);
/** A job sent over HTTP: the same schema, but no recipe field names a file on the server. */
export const remoteJobSchema = makeJobSchema(recipeOf(remoteRecipeSpecSchema()));

/** What a job file may say (before defaults). */
export type JobInput = z.input<typeof jobSchema>;
/** A validated job with defaults filled in. */
export type JobSpec = z.output<typeof jobSchema>;

/** `a.b[1].c` for an issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(job)' : out;
}

export interface JobIssue {
  path: string;
  message: string;
}

function issuesOf(error: z.ZodError): JobIssue[] {
  return error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      return {
        path: formatPath(i.path),
        message: `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`,
      };
    }
    return { path: formatPath(i.path), message: i.message };
  });
}

/** Validate a parsed job object; throws INVALID_INPUT listing every bad field (details.issues for HTTP). */
export function parseJob(value: unknown, source = 'job'): JobSpec {
  const r = jobSchema.safeParse(value);
  if (r.success) return r.data;
  const issues = issuesOf(r.error);
  throw new DistilleryError('INVALID_INPUT', `${source}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    hint: 'fix the fields named above',
    details: { issues },
  });
}

/** Parse JOB.yaml text (YAML or JSON). */
export function parseJobYaml(text: string, source = 'JOB.yaml'): JobSpec {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new DistilleryError('INVALID_INPUT', `${source}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  return parseJob(value, source);
}

/** The teacher output spec a job asks for, in the shape the teacher engine and the store take. */
export function outputSpecOf(job: JobSpec): OutputSpec {
  const o = job.outputs;
  const spec: OutputSpec = { logits: o.logits, temperatures: o.temperatures, encoding: o.encoding };
  if (o.topK !== undefined) spec.topK = o.topK;
  if (o.hidden) spec.hidden = { layers: o.hidden.layers, pooling: o.hidden.pooling };
  if (o.attentions) spec.attentions = { layers: o.attentions.layers };
  return spec;
}
