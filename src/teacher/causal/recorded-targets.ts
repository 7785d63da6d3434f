/**
 * A generation's Recording (decode-recorder.ts) -> the SequenceTargets that teacher-forced labelling
 * would compute for the row's own encoding, or undefined where the recording cannot give them exactly.
 *
 * Teacher-forced labelling re-encodes the row's text ({prompt, response}, or the chat with the reply as
 * an assistant turn) and scores position p when token p+1 is a target. Step s of the recording holds
 * the targets of position first + s over the context tokens[0 .. first + s]. So every scored position
 * must be a recorded step whose context is the encoding's own prefix, and the token the encoding puts
 * after it must be the one the step sampled or its `alternative` (the appended eos). That fails for a
 * re-tokenization that differs from the written ids, a stop string that ends inside a token, a scope
 * that scores prompt tokens, a truncated row, or hidden states (the decode head has none): the caller
 * then labels the row teacher-forced. Tokens after the last scored position do not matter: a causal
 * model's outputs at p never see them.
 *
 * The assembled rows go through extractRow, the teacher-forced path's own code, so top-k slicing, tail
 * mass and the seeded samples (one stream per row seed and position) are computed identically.
 */
import type { SequenceOutputSpec, SequenceTargets } from '../../core/sequence-types.ts';
import type { Recording } from './decode-recorder.ts';
import { type EncodedSequence, scoredPositions } from './sequence-input.ts';
import { extractRow, type TargetTensors } from './target-extractor.ts';

export function recordedTargets(
  rec: Recording,
  enc: EncodedSequence,
  spec: SequenceOutputSpec,
  seed: string,
): SequenceTargets | undefined {
  if (spec.hidden || enc.truncated) return undefined;
  const scored = scoredPositions(enc.targets);
  const steps: number[] = [];
  const alternative: boolean[] = [];
  for (let p = 0; p < scored.length; p++) {
    if (!scored[p]) continue;
    const s = p - rec.first;
    if (s < 0 || s >= rec.lse.length) return undefined;
    const next = enc.ids[p + 1]!;
    if (s < rec.written && next === rec.tokens[p + 1]) alternative.push(false);
    else if (next === rec.alternative) alternative.push(true);
    else return undefined;
    steps.push(s);
  }
  const last = steps.length > 0 ? rec.first + steps.at(-1)! : -1;
  for (let t = 0; t <= last; t++) if (enc.ids[t] !== rec.tokens[t]) return undefined;

  const M = rec.support;
  const P = steps.length;
  const t: TargetTensors = {
    support: M,
    lse: Float32Array.from(steps, (s) => rec.lse[s]!),
    entropy: Float32Array.from(steps, (s) => rec.entropy[s]!),
    topkLogprobs: new Float32Array(P * M),
    topkIds: new BigInt64Array(P * M),
    nextLogprob: Float32Array.from(steps, (s, r) => (alternative[r] ? rec.alt : rec.sampled).logprob[s]!),
    nextRank: Float32Array.from(steps, (s, r) => (alternative[r] ? rec.alt : rec.sampled).rank[s]!),
    hiddenSize: 0,
  };
  steps.forEach((s, r) => {
    t.topkLogprobs!.set(rec.topkLogprobs.subarray(s * M, (s + 1) * M), r * M);
    t.topkIds!.set(rec.topkIds.subarray(s * M, (s + 1) * M), r * M);
  });
  return extractRow(t, 0, enc, spec, seed);
}
