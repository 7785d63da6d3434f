/**
 * The feeds of a batched decode over a decoder export's KV cache (past_key_values.N.* in, present.N.* out).
 *
 * Prefill: the prompts padded on one side (causal-feeds.ts buildFeeds: position ids count real tokens
 * only). Each step then feeds one token per row with the cache of the step before; a row's attention mask
 * keeps a 0 for every padded slot, wherever it sits (on the left, or between a right-padded prompt and its
 * response), and its position id is the number of real tokens before it, so every row computes what it
 * would alone. Rows that finished are dropped from the cache (`keep`), so later steps run only live rows.
 */
import type { SessionTensor } from '../session-handle.ts';
import { buildFeeds, type CausalInputs, type PaddingSide } from './causal-feeds.ts';

export class DecodeState {
  readonly #graph: CausalInputs;
  /** per live row: 1 for each cache slot holding a real token */
  #masks: number[][];
  /** per live row: the position id of its next token */
  #positions: number[];
  #past: Record<string, SessionTensor> = {};
  /** where each row's next-token logits sit in the last run's `logits` [rows, positions, vocab] */
  #logitIndex: number[];
  /** positions per row in the last run's `logits` */
  #logitPositions: number;
  #prefill: Record<string, SessionTensor> | undefined;

  constructor(prompts: readonly (readonly number[])[], padId: number, side: PaddingSide, graph: CausalInputs) {
    this.#graph = graph;
    const { feeds, seq, offsets } = buildFeeds(prompts, padId, side, graph);
    // left padding puts every row's last token at the end: the head then runs for that position only
    const lastOnly = side === 'left' && graph.numLogitsToKeep;
    if (lastOnly) feeds.num_logits_to_keep = { type: 'int64', data: BigInt64Array.of(1n), dims: [] };
    this.#prefill = feeds;
    this.#masks = prompts.map((p, b) =>
      Array.from({ length: seq }, (_, t) => (t >= offsets[b]! && t < offsets[b]! + p.length ? 1 : 0)),
    );
    this.#positions = prompts.map((p) => p.length);
    this.#logitIndex = prompts.map((p, b) => (lastOnly ? 0 : offsets[b]! + p.length - 1));
    this.#logitPositions = lastOnly ? 1 : seq;
  }

  get rows(): number {
    return this.#positions.length;
  }

  /** The names to fetch: logits and every present.* the graph returns for a past_key_values.* input. */
  fetches(): string[] {
    return ['logits', ...this.#graph.past.map((p) => presentName(p.name))];
  }

  /** The next run's feeds: the prefill the first time, then one token per live row. */
  feeds(tokens?: readonly number[]): Record<string, SessionTensor> {
    if (this.#prefill) {
      const f = this.#prefill;
      this.#prefill = undefined;
      return f;
    }
    if (!tokens || tokens.length !== this.rows) throw new Error(`expected ${this.rows} tokens, got ${tokens?.length}`);
    const n = this.rows;
    const total = this.#masks[0]!.length + 1;
    const mask = new BigInt64Array(n * total);
    this.#masks.forEach((m, b) => {
      m.push(1);
      for (let t = 0; t < total; t++) mask[b * total + t] = BigInt(m[t]!);
    });
    const feeds: Record<string, SessionTensor> = {
      input_ids: { type: 'int64', data: BigInt64Array.from(tokens, BigInt), dims: [n, 1] },
      attention_mask: { type: 'int64', data: mask, dims: [n, total] },
      ...this.#past,
    };
    if (this.#graph.positionIds)
      feeds.position_ids = { type: 'int64', data: BigInt64Array.from(this.#positions, BigInt), dims: [n, 1] };
    if (this.#graph.numLogitsToKeep) feeds.num_logits_to_keep = { type: 'int64', data: BigInt64Array.of(1n), dims: [] };
    this.#positions = this.#positions.map((p) => p + 1);
    this.#logitIndex = this.#logitIndex.map(() => 0);
    this.#logitPositions = 1;
    this.#past = {};
    return feeds;
  }

  /** Per live row, the flat index of its next-token row in [rows * positions] of the run just fed. */
  headRows(): number[] {
    return this.#logitIndex.map((t, b) => b * this.#logitPositions + t);
  }

  /** Takes a run's outputs: the cache for the next step and each row's next-token logits. */
  absorb(out: Record<string, SessionTensor>): Float32Array[] {
    for (const p of this.#graph.past) {
      const t = out[presentName(p.name)];
      if (!t) throw new Error(`the graph returned no ${presentName(p.name)} for ${p.name}`);
      this.#past[p.name] = { type: t.type, data: t.data, dims: t.dims };
    }
    const logits = out.logits;
    if (!logits || logits.dims.length !== 3) throw new Error('the graph returned no [batch, positions, vocab] logits');
    const [, positions, vocab] = logits.dims as [number, number, number];
    const data = logits.data as Float32Array;
    return this.#logitIndex.map((t, b) => data.subarray((b * positions + t) * vocab, (b * positions + t + 1) * vocab));
  }

  /** Drops the rows not listed (indices into the live rows, ascending) from the cache and the masks. */
  keep(rows: readonly number[]): void {
    if (rows.length === this.rows) return;
    this.#masks = rows.map((r) => this.#masks[r]!);
    this.#positions = rows.map((r) => this.#positions[r]!);
    this.#logitIndex = rows.map((r) => this.#logitIndex[r]!);
    for (const [name, t] of Object.entries(this.#past)) {
      const [n, ...rest] = t.dims as number[];
      const per = t.data.length / n!;
      const Ctor = t.data.constructor as new (len: number) => typeof t.data;
      const data = new Ctor(rows.length * per);
      rows.forEach((r, i) =>
        (data as Float32Array).set((t.data as Float32Array).subarray(r * per, (r + 1) * per), i * per),
      );
      this.#past[name] = { type: t.type, data, dims: [rows.length, ...rest] };
    }
  }
}

export function presentName(pastName: string): string {
  return pastName.replace(/^past_key_values\./, 'present.');
}
