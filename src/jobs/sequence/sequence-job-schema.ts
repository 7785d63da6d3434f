/**
 * The `sequence` section of a job whose teacher is a causal LM (text-generation): which per-position
 * outputs to store and which positions are scored (docs/LLM-TEACHERS.md). Without the section a
 * causal-LM job takes the defaults below.
 */
import { z } from 'zod';
import type { SequenceOutputSpec } from '../../core/sequence-types.ts';
import { KNOWN_ROLES, type SequenceOptions } from '../../teacher/causal/sequence-input.ts';
import { sequenceGenerateSchema } from './sequence-generate.ts';

const count = (what: string, max: number) =>
  z
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .min(1, { error: `expected ${what}` })
    .max(max, { error: `expected ${what}` });
const temperatureRange = 'expected a number in [0.05, 100]';
const roles = [...KNOWN_ROLES] as [string, ...string[]];

export const sequenceJobSchema = z
  .strictObject({
    /** log-probs are computed from logits / T (DistillKit's top_values need T = 1) */
    temperature: z
      .number({ error: temperatureRange })
      .min(0.05, { error: temperatureRange })
      .max(100, { error: temperatureRange })
      .default(1),
    /** top-k ids with their log-probs over the full vocabulary, per scored position */
    topK: count('an integer in [1, 65535] (at most the vocabulary size)', 65535).optional(),
    /** importance-sampled ids: draws per scored position, kept as unique ids with counts */
    samples: count('an integer in [1, 65535] (draws per position)', 65535).optional(),
    /** the actual next token's log-prob and rank, and the entropy */
    target: z.boolean({ error: 'expected true or false' }).default(true),
    /** last hidden state per scored position (fp16) */
    hidden: z.boolean({ error: 'expected true or false' }).default(false),
    scope: z.enum(['response', 'all'], { error: 'expected response or all' }).default('response'),
    maskRoles: z
      .array(z.enum(roles, { error: `expected one of ${roles.join(', ')}` }), { error: 'expected a list of roles' })
      .default([]),
    overflow: z.enum(['refuse', 'left', 'right'], { error: 'expected refuse, left or right' }).default('refuse'),
    appendEos: z.boolean({ error: 'expected true or false' }).default(true),
    /** the teacher first writes `n` responses per prompt row, which are then labelled (sequence-generate.ts) */
    generate: sequenceGenerateSchema.optional(),
  })
  .refine((s) => s.topK !== undefined || s.samples !== undefined || s.target || s.hidden, {
    error: 'ask for at least one output: topK, samples, target or hidden',
  });

export type SequenceJob = z.output<typeof sequenceJobSchema>;

/** What a causal-LM job stores when its file has no `sequence` section. */
export const DEFAULT_SEQUENCE_JOB: SequenceJob = Object.freeze(
  sequenceJobSchema.parse({ topK: 64, target: true }),
) as SequenceJob;

export function sequenceSpecOf(s: SequenceJob): SequenceOutputSpec {
  const spec: SequenceOutputSpec = { temperature: s.temperature };
  if (s.topK !== undefined) spec.topK = s.topK;
  if (s.samples !== undefined) spec.samples = { draws: s.samples };
  if (s.target) spec.target = true;
  if (s.hidden) spec.hidden = true;
  return spec;
}

export function sequenceOptionsOf(s: SequenceJob): SequenceOptions {
  return { scope: s.scope, maskRoles: s.maskRoles, overflow: s.overflow, appendEos: s.appendEos };
}
