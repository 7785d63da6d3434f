/**
 * Schemas of the causal-LM routes: POST /v1/sequence-logprobs and the TRL teacher server's
 * POST /get_sequence_logprobs/ (docs/HTTP.md). They validate requests and generate /openapi.json.
 */
import { z } from 'zod';
import { TEACHER_NAME, type SchemaLimits } from './schemas.ts';

/** longest token-id list a schema accepts; the teacher's own context is checked after */
const MAX_TOKEN_IDS = 131_072;
const temperature = z.number().min(0.05, 'must be at least 0.05').max(100, 'must be at most 100');
const tokenId = z.number().int().min(0, 'token ids are >= 0');

export function buildSequenceSchemas(limits: SchemaLimits) {
  const text = z
    .string()
    .min(1, 'must not be empty')
    .max(limits.maxCharsPerText, `at most ${limits.maxCharsPerText} characters`);
  const message = z
    .object({ role: z.string().max(32).describe('system, developer, user, assistant, tool or ipython'), content: text })
    .strict();
  const sequenceInput = z.union(
    [
      text.describe('plain text: every token after the first is scored'),
      z.object({ text }).strict(),
      z.object({ prompt: text, response: text }).strict().describe('the response tokens (and eos) are scored'),
      z
        .object({ messages: z.array(message).min(1).max(256) })
        .strict()
        .describe("rendered by the tokenizer's chat template; assistant tokens are scored"),
      z
        .object({
          tokenIds: z.array(tokenId).min(1).max(MAX_TOKEN_IDS),
          promptLength: z.number().int().min(0).default(1).describe('tokens from here on are scored'),
        })
        .strict(),
    ],
    { error: 'expected a string, {text}, {prompt, response}, {messages} or {tokenIds, promptLength}' },
  );

  const sequenceLogprobsRequest = z
    .object({
      teacher: z
        .string()
        .regex(TEACHER_NAME, 'a configured teacher name (see GET /v1/teachers)')
        .optional()
        .describe('a text-generation teacher; defaults to the default teacher when it is one, else the first'),
      inputs: z
        .array(sequenceInput)
        .min(1, 'give at least one input')
        .max(limits.maxTextsPerRequest, `at most ${limits.maxTextsPerRequest} inputs per request`),
      outputs: z
        .object({
          temperature: temperature.default(1).describe('values are log-softmax(logits / T)'),
          topK: z
            .number()
            .int()
            .min(0)
            .max(1024)
            .default(20)
            .describe('top-k ids and log-probs per position (0: none)'),
          samples: z
            .object({ draws: z.number().int().min(1).max(65_535) })
            .strict()
            .optional()
            .describe('importance-sampled ids with counts, seeded by the sequence'),
          target: z.boolean().default(true).describe("the next token's log-prob and rank, and the entropy"),
        })
        .strict()
        .prefault({}),
      scope: z.enum(['response', 'all']).default('response'),
      maskRoles: z.array(z.string().max(32)).max(8).default([]),
      overflow: z.enum(['refuse', 'left', 'right']).default('refuse'),
    })
    .strict();

  const ints = z.array(z.number().int());
  const floats = z.array(z.number());
  const sequenceLogprobsResponse = z.object({
    teacher: z.object({ name: z.string(), fingerprint: z.string(), task: z.string(), vocabSize: z.number().int() }),
    results: z.array(
      z.object({
        index: z.number().int(),
        tokenIds: ints,
        truncated: z.boolean(),
        cached: z.boolean().describe('read from the store: top-k log-probs within its quantization bound'),
        positions: ints.describe('position t of each row; row p describes the token at t + 1'),
        lse: floats.optional().describe('log-sum-exp of logits / T per row (with topK)'),
        topK: z
          .object({ k: z.number().int(), ids: z.array(ints), logprobs: z.array(floats), tailMass: floats })
          .optional(),
        samples: z.object({ draws: z.number().int(), ids: z.array(ints), counts: z.array(ints) }).optional(),
        target: z.object({ logprob: floats, rank: ints, entropy: floats }).optional(),
      }),
    ),
  });

  /** TRL's SequenceLogprobsRequest (pydantic ignores unknown fields, so this schema strips them) */
  const trlRequest = z.object({
    sequences: z
      .array(z.array(tokenId).max(MAX_TOKEN_IDS))
      .min(1, 'give at least one sequence')
      .max(limits.maxTextsPerRequest, `at most ${limits.maxTextsPerRequest} sequences per request`),
    prompt_lengths: z.array(z.number().int().min(0)).max(limits.maxTextsPerRequest),
    top_logprobs: z.number().int().min(0).max(1024).default(100),
    temperature: temperature.default(1),
    response_format: z.enum(['json', 'binary']).default('json'),
  });
  const trlResponse = z.union([
    z.object({
      logprobs: z
        .array(z.array(floats))
        .describe('per sequence, per completion token: top-k log-probs (+ the actual token when outside)'),
      logprob_token_ids: z.array(z.array(ints)),
    }),
    z.object({
      logprobs_b64: z.string().describe('float32 little-endian [batch, max_completion_len, top_k], -inf padded'),
      token_ids_b64: z.string().describe('int32 [batch, max_completion_len, top_k], 0 padded'),
      actual_logprobs_b64: z.string().describe('float32 [batch, max_completion_len, 1]'),
      actual_token_ids_b64: z.string().describe('int32 [batch, max_completion_len, 1]'),
      shape: ints,
      completion_lengths: ints,
    }),
  ]);

  return { sequenceLogprobsRequest, sequenceLogprobsResponse, trlRequest, trlResponse };
}

export type SequenceSchemas = ReturnType<typeof buildSequenceSchemas>;
export type SequenceLogprobsRequest = z.output<SequenceSchemas['sequenceLogprobsRequest']>;
export type TrlRequest = z.output<SequenceSchemas['trlRequest']>;
