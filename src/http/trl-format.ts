/**
 * The two response bodies of TRL's POST /get_sequence_logprobs/ (trl/scripts/vllm_serve.py,
 * `_format_logprob_response`), built from distillery's per-position targets.
 *
 * TRL asks for the completion tokens of each sequence: entry t is the distribution of token
 * `prompt_length + t` given the tokens before it (vLLM's prompt_logprobs), which is distillery's row for
 * position `prompt_length + t - 1`. Token 0 has no context, so a sequence with prompt_length 0 gets an
 * empty entry (json) or padding (binary) at t = 0, as vLLM returns None there.
 */
import type { SequenceTargets } from '../core/sequence-types.ts';

export interface TrlRow {
  /** the scored targets of one sequence (rows for positions max(1, prompt_length) - 1 .. length - 2) */
  targets: SequenceTargets;
  promptLength: number;
}

/** row index of the distribution of token `pos`, or -1 when it has none (pos 0) */
function rowOf(r: TrlRow, pos: number): number {
  if (pos === 0) return -1;
  return pos - 1 - (Math.max(1, r.promptLength) - 1);
}

/**
 * `{logprobs, logprob_token_ids}`: per completion token, the top-k sorted by descending log-prob,
 * then the actual token when it is outside the top-k (vLLM always returns the prompt token's own
 * log-prob, so an entry holds k or k + 1 values).
 */
export function trlJsonBody(rows: readonly TrlRow[], k: number) {
  const logprobs: number[][][] = [];
  const ids: number[][][] = [];
  for (const r of rows) {
    const { tokenIds, topk, target } = r.targets;
    const seqLp: number[][] = [];
    const seqIds: number[][] = [];
    for (let pos = r.promptLength; pos < tokenIds.length; pos++) {
      const p = rowOf(r, pos);
      if (p < 0) {
        seqLp.push([]);
        seqIds.push([]);
        continue;
      }
      const lp = topk && k > 0 ? Array.from(topk.logprobs.subarray(p * k, (p + 1) * k)) : [];
      const id = topk && k > 0 ? Array.from(topk.ids.subarray(p * k, (p + 1) * k)) : [];
      const actual = tokenIds[pos]!;
      if (!id.includes(actual)) {
        id.push(actual);
        lp.push(target!.logprob[p]!);
      }
      seqLp.push(lp);
      seqIds.push(id);
    }
    logprobs.push(seqLp);
    ids.push(seqIds);
  }
  return { logprobs, logprob_token_ids: ids };
}

const b64 = (a: Float32Array | Int32Array): string =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/**
 * The binary format: float32 / int32 arrays (little-endian, as numpy reads them on the client),
 * base64-encoded, `[batch, max_completion_len, top_k]` with -inf / 0 padding, plus the actual token's
 * log-prob and id as `[batch, max_completion_len, 1]`.
 */
export function trlBinaryBody(rows: readonly TrlRow[], k: number) {
  const lengths = rows.map((r) => r.targets.tokenIds.length - r.promptLength);
  const L = Math.max(0, ...lengths);
  const B = rows.length;
  const logprobs = new Float32Array(B * L * k).fill(-Infinity);
  const tokenIds = new Int32Array(B * L * k);
  const actualLp = new Float32Array(B * L).fill(-Infinity);
  const actualIds = new Int32Array(B * L);
  rows.forEach((r, i) => {
    const { tokenIds: seq, topk, target } = r.targets;
    for (let t = 0; t < lengths[i]!; t++) {
      const pos = r.promptLength + t;
      const p = rowOf(r, pos);
      if (p < 0) continue;
      const at = (i * L + t) * k;
      if (topk && k > 0) {
        logprobs.set(topk.logprobs.subarray(p * k, (p + 1) * k), at);
        tokenIds.set(topk.ids.subarray(p * k, (p + 1) * k), at);
      }
      actualLp[i * L + t] = target!.logprob[p]!;
      actualIds[i * L + t] = seq[pos]!;
    }
  });
  return {
    logprobs_b64: b64(logprobs),
    token_ids_b64: b64(tokenIds),
    actual_logprobs_b64: b64(actualLp),
    actual_token_ids_b64: b64(actualIds),
    shape: [B, L, k],
    completion_lengths: lengths,
  };
}
