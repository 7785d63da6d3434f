/**
 * POST /v1/sequence-logprobs: per-position targets of a causal-LM teacher, synchronously; cache first
 * (the store's sequences), misses micro-batched across requests (CausalLabeler).
 */
import { Router } from 'express';
import type { SequenceOutputSpec, SequenceTargets } from '../../core/sequence-types.ts';
import type { CausalLabeler } from '../../labels/index.ts';
import type { EncodedSequence, SequenceInput } from '../../teacher/causal/sequence-input.ts';
import { SequenceInputError } from '../../teacher/causal/sequence-input.ts';
import { encodeTokenIds } from '../../teacher/causal/token-ids-input.ts';
import type { RouteModule } from '../app.ts';
import {
  defaultCausalTeacher,
  fieldPointer,
  fieldProblem,
  specChecked,
  type CausalCatalog,
} from '../causal-routes-common.ts';
import { HttpProblem } from '../problem.ts';
import { buildSequenceSchemas, type SequenceLogprobsRequest } from '../sequence-schemas.ts';
import type { SchemaLimits } from '../schemas.ts';
import { parseOr422 } from '../validate.ts';

export interface SequenceLogprobsDeps {
  labeler: CausalLabeler;
  catalog: CausalCatalog;
  defaultTeacher: string | undefined;
  limits: SchemaLimits;
}

type Input = SequenceLogprobsRequest['inputs'][number];

// Outputs are float32: 9 significant digits round-trip them.
const f32 = (x: number): number => (Number.isFinite(x) ? Number(Math.fround(x).toPrecision(9)) : x);
const rows = <T>(n: number, k: (p: number) => T[]): T[][] => Array.from({ length: n }, (_, p) => k(p));

function present(t: SequenceTargets, index: number, cached: boolean) {
  const P = t.positions.length;
  const { topk, samples, target } = t;
  return {
    index,
    tokenIds: Array.from(t.tokenIds),
    truncated: t.truncated,
    cached,
    positions: Array.from(t.positions),
    ...(topk ? { lse: Array.from(t.lse, f32) } : {}),
    ...(topk
      ? {
          topK: {
            k: topk.k,
            ids: rows(P, (p) => Array.from(topk.ids.subarray(p * topk.k, (p + 1) * topk.k))),
            logprobs: rows(P, (p) => Array.from(topk.logprobs.subarray(p * topk.k, (p + 1) * topk.k), f32)),
            tailMass: Array.from(topk.tailMass, f32),
          },
        }
      : {}),
    ...(samples
      ? {
          samples: {
            draws: samples.draws,
            ids: rows(P, (p) => Array.from(samples.ids.subarray(samples.offsets[p]!, samples.offsets[p + 1]!))),
            counts: rows(P, (p) => Array.from(samples.counts.subarray(samples.offsets[p]!, samples.offsets[p + 1]!))),
          },
        }
      : {}),
    ...(target
      ? {
          target: {
            logprob: Array.from(target.logprob, f32),
            rank: Array.from(target.rank),
            entropy: Array.from(target.entropy, f32),
          },
        }
      : {}),
  };
}

const asSequenceInput = (i: Input): SequenceInput | undefined =>
  typeof i === 'string' ? { text: i } : 'tokenIds' in i ? undefined : (i as SequenceInput);

export function sequenceLogprobsModule(deps: SequenceLogprobsDeps): RouteModule {
  const schemas = buildSequenceSchemas(deps.limits);
  const router = (): Router => {
    const r = Router();
    r.post('/v1/sequence-logprobs', async (req, res) => {
      const body = parseOr422(schemas.sequenceLogprobsRequest, req.body);
      const name = body.teacher ?? defaultCausalTeacher(deps.catalog, deps.defaultTeacher);
      if (name === undefined)
        throw fieldProblem(
          '/teacher',
          'no text-generation teacher is configured',
          'add a causal-LM teacher to the config',
        );
      const teacher = await specChecked({ teacher: '/teacher' }, () => deps.labeler.teacher(name, 'teacher'));
      const spec: SequenceOutputSpec = {
        temperature: body.outputs.temperature,
        ...(body.outputs.topK > 0 ? { topK: body.outputs.topK } : {}),
        ...(body.outputs.samples ? { samples: body.outputs.samples } : {}),
        ...(body.outputs.target ? { target: true } : {}),
      };
      if (!spec.topK && !spec.samples && !spec.target)
        throw fieldProblem('/outputs', 'asks for no output', 'ask for topK, samples or target');
      await specChecked(
        { topK: '/outputs/topK', temperature: '/outputs/temperature', 'samples.draws': '/outputs/samples/draws' },
        () => teacher.validateSpec(spec),
      );
      const options = { scope: body.scope, maskRoles: body.maskRoles, overflow: body.overflow };
      const encoded: (EncodedSequence | SequenceInputError)[] = body.inputs.map((input) => {
        const seq = asSequenceInput(input);
        if (seq) return teacher.encode([seq], options)[0]!;
        const ids = input as { tokenIds: number[]; promptLength: number };
        return encodeTokenIds(ids.tokenIds, ids.promptLength, teacher.info, 'tokenIds');
      });
      const bad = encoded.findIndex((e) => e instanceof SequenceInputError);
      if (bad >= 0) {
        const e = encoded[bad] as SequenceInputError;
        throw fieldProblem(
          `/inputs/${bad}${typeof body.inputs[bad] === 'string' ? '' : fieldPointer(e.field)}`,
          e.message,
        );
      }
      const scored = await deps.labeler.score(teacher, encoded as EncodedSequence[], spec);
      const { info } = teacher;
      res.json({
        teacher: { name: info.name, fingerprint: info.fingerprint, task: info.task, vocabSize: info.vocabSize },
        results: scored.targets.map((t, i) => present(t, i, scored.cached[i]!)),
      });
    });
    return r;
  };
  return {
    router,
    docs: () => [
      {
        method: 'post',
        path: '/v1/sequence-logprobs',
        summary:
          'Per-token targets of a causal-LM teacher (top-k, samples, next-token log-prob), cached and micro-batched',
        body: schemas.sequenceLogprobsRequest,
        response: schemas.sequenceLogprobsResponse,
        errors: [400, 401, 404, 413, 422, 429, 503],
      },
    ],
  };
}
