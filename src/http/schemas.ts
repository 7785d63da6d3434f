/**
 * Request (and documented response) schemas. The same zod objects validate requests and generate
 * /openapi.json, so the documentation cannot drift from what the server accepts. Limits come from the
 * configuration, hence a factory.
 */
import { z } from 'zod';
import { temperaturesSchema } from '../jobs/index.ts';
import { DATASET_ID_PATTERN } from '../store/index.ts';

export const TEACHER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface SchemaLimits {
  maxTextsPerRequest: number;
  maxCharsPerText: number;
}

const layers = z
  .union([z.enum(['all', 'last']), z.array(z.number().int().min(0).max(255)).min(1).max(64)])
  .describe('"all", "last", or layer indices (hidden: 0 = embeddings)');

export function buildSchemas(limits: SchemaLimits) {
  const text = z
    .string()
    .min(1, 'must not be empty')
    .max(limits.maxCharsPerText, `at most ${limits.maxCharsPerText} characters per text`);

  const textInput = z.union(
    [text, z.object({ text, textPair: text.optional().describe('second segment of a text pair') }).strict()],
    { error: 'expected a string or an object {"text": ..., "textPair": ...}' },
  );

  const outputSpec = z
    .object({
      logits: z.boolean().default(true),
      temperatures: temperaturesSchema.default([1]).describe('softmax(logits / T) for each T; repeats are dropped'),
      topK: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .optional()
        .describe('top-k ids and logits per head (per token for masked LMs)'),
      hidden: z
        .object({ layers, pooling: z.enum(['cls', 'mean', 'none']).default('cls') })
        .strict()
        .optional(),
      attentions: z.object({ layers }).strict().optional(),
      encoding: z
        .enum(['fp32', 'fp16', 'int8'])
        .default('fp32')
        .describe('storage encoding in the cache; responses are JSON numbers'),
    })
    .strict();

  const softLabelsRequest = z
    .object({
      teacher: z
        .string()
        .regex(TEACHER_NAME, 'a configured teacher name (see GET /v1/teachers)')
        .optional()
        .describe('defaults to the configured default teacher'),
      inputs: z
        .array(textInput)
        .min(1, 'give at least one text')
        .max(limits.maxTextsPerRequest, `at most ${limits.maxTextsPerRequest} texts per request`),
      outputs: outputSpec.prefault({}),
    })
    .strict();

  const floats = z.array(z.number());
  const tensor = z.object({ shape: z.array(z.number().int()), data: floats });
  const softLabelsResponse = z.object({
    teacher: z.object({ name: z.string(), fingerprint: z.string(), task: z.string(), labels: z.array(z.string()) }),
    results: z.array(
      z.object({
        index: z.number().int(),
        label: z.string().optional().describe('argmax label of a classifier'),
        logits: floats.optional(),
        probs: z.array(z.object({ temperature: z.number(), values: floats })).optional(),
        topK: z
          .array(
            z.object({
              ids: z.array(z.number().int()),
              labels: z.array(z.string()).optional(),
              logits: floats,
              logSumExp: z.number(),
            }),
          )
          .optional(),
        hidden: z.array(z.object({ layer: z.number().int(), pooling: z.string(), value: tensor })).optional(),
        attentions: z.array(z.object({ layer: z.number().int(), value: tensor })).optional(),
        tokens: z.number().int(),
        truncated: z.boolean(),
        cached: z.boolean().describe('answered from the output cache without running the model'),
      }),
    ),
  });

  const datasetParams = z
    .object({ id: z.string().regex(DATASET_ID_PATTERN, 'lowercase letters, digits, ".", "_" or "-", at most 64') })
    .strict();
  const exportQuery = z
    .object({
      format: z.enum(['parquet', 'jsonl', 'safetensors']).default('jsonl'),
      teacher: z
        .string()
        .regex(/^[\w:.-]{1,160}$/, 'a teacher fingerprint as listed by GET /v1/datasets/{id}')
        .optional()
        .describe("fingerprint; defaults to the dataset's only teacher"),
      temperatures: z
        .string()
        .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?){0,15}$/, 'comma-separated positive numbers, e.g. 1,2,4')
        .optional()
        .describe("probabilities columns to derive, e.g. 1,2,4; defaults to the dataset's output spec"),
    })
    .strict();
  const jobParams = z.object({ id: z.string().regex(JOB_ID, 'a job id as returned by POST /v1/jobs') }).strict();

  /** documents GET /v1/jobs/{id} (src/jobs/queue/job-queue.ts JobView); progress and result as the runner reports them */
  const jobView = z.object({
    id: z.string(),
    dataset: z.string(),
    state: z.enum(['queued', 'running', 'done', 'up-to-date', 'cancelled', 'failed']),
    queuePosition: z.number().int().min(1).optional().describe('while queued: 1 = next to start'),
    submitted: z.string().describe('ISO 8601'),
    started: z.string().optional(),
    finished: z.string().optional(),
    progress: z.record(z.string(), z.unknown()).optional(),
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  });

  const problem = z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  });

  return {
    textInput,
    outputSpec,
    softLabelsRequest,
    softLabelsResponse,
    datasetParams,
    exportQuery,
    jobParams,
    jobView,
    problem,
  };
}

export type Schemas = ReturnType<typeof buildSchemas>;
export type SoftLabelsRequest = z.output<Schemas['softLabelsRequest']>;
