/**
 * Composition of ops (nlpaug's flows): sequence, sometimes(p), oneOf. Each is itself an AugmentOp, so
 * recipes nest freely. Per-item decisions draw from `rng.fork(...).fork(item.key)`: batch-independent.
 */
import type { SeededRng } from '../core/seeded-rng.ts';
import type { AugmentOp, OpContext, OpItem, OpNeed, OpResult } from './op.ts';

/** Leaf ops name themselves; compositions report the chain they applied. */
export const appliedOps = (op: AugmentOp, r: Extract<OpResult, { status: 'ok' }>): string[] => r.applied ?? [op.name];

function pass(item: OpItem): OpResult {
  const r: OpResult = {
    status: 'ok',
    text: item.text.text,
    changed: item.text.modified,
    value: item.text,
    applied: [],
  };
  if (item.textPair !== undefined) r.textPair = item.textPair;
  return r;
}

const union = (ops: readonly AugmentOp[]): OpNeed[] => [...new Set(ops.flatMap((o) => o.needs))];

/** Apply each op to the previous op's output; a skip at any step skips the item (named by that step). */
export class Sequence implements AugmentOp {
  readonly name = 'sequence';
  readonly needs: readonly OpNeed[];
  readonly preservesLabel: boolean;
  readonly params: Readonly<Record<string, unknown>>;

  constructor(readonly steps: readonly AugmentOp[]) {
    if (steps.length === 0) throw new RangeError('Expected `sequence` to have at least one step');
    this.needs = union(steps);
    this.preservesLabel = steps.every((s) => s.preservesLabel);
    this.params = Object.freeze({ steps: steps.map((s) => ({ op: s.name, params: s.params })) });
  }

  async apply(items: readonly OpItem[], rng: SeededRng, ctx: OpContext): Promise<OpResult[]> {
    const results: OpResult[] = items.map(pass);
    for (let s = 0; s < this.steps.length; s++) {
      const step = this.steps[s]!;
      const live: number[] = [];
      const inputs: OpItem[] = [];
      results.forEach((r, i) => {
        if (r.status !== 'ok') return;
        live.push(i);
        const it: OpItem = { key: items[i]!.key, text: r.value };
        if (r.textPair !== undefined) it.textPair = r.textPair;
        inputs.push(it);
      });
      if (inputs.length === 0) break;
      const out = await step.apply(inputs, rng.fork(s), ctx);
      out.forEach((r, k) => {
        const i = live[k]!;
        const before = results[i] as Extract<OpResult, { status: 'ok' }>;
        if (r.status !== 'ok') results[i] = { ...r, op: r.op ?? step.name };
        else
          results[i] = {
            ...r,
            applied: [...(before.applied ?? []), ...appliedOps(step, r)],
            info: mergeInfo(before.info, step.name, r.info),
          };
      });
    }
    return results;
  }
}

/** Apply `op` with probability p per item; otherwise pass the item on unchanged. */
export class Sometimes implements AugmentOp {
  readonly name = 'sometimes';
  readonly needs: readonly OpNeed[];
  readonly preservesLabel: boolean;
  readonly params: Readonly<Record<string, unknown>>;

  constructor(
    readonly p: number,
    readonly op: AugmentOp,
  ) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Expected \`sometimes\` probability in [0, 1], got ${p}`);
    this.needs = op.needs;
    this.preservesLabel = op.preservesLabel;
    this.params = Object.freeze({ p, op: op.name, params: op.params });
  }

  async apply(items: readonly OpItem[], rng: SeededRng, ctx: OpContext): Promise<OpResult[]> {
    const draws = rng.fork('draw');
    const chosen = items.filter((it) => draws.fork(it.key).next() < this.p);
    const out = chosen.length > 0 ? await this.op.apply(chosen, rng.fork('op'), ctx) : [];
    const byKey = new Map(chosen.map((it, k) => [it, out[k]!]));
    return items.map((it) => {
      const r = byKey.get(it);
      if (!r) return pass(it);
      return r.status === 'ok' ? { ...r, applied: appliedOps(this.op, r) } : { ...r, op: r.op ?? this.op.name };
    });
  }
}

/** Apply one of the ops per item, drawn with optional weights. */
export class OneOf implements AugmentOp {
  readonly name = 'oneOf';
  readonly needs: readonly OpNeed[];
  readonly preservesLabel: boolean;
  readonly params: Readonly<Record<string, unknown>>;
  readonly #cumulative: number[];

  constructor(
    readonly ops: readonly AugmentOp[],
    weights?: readonly number[],
  ) {
    if (ops.length === 0) throw new RangeError('Expected `oneOf` to have at least one op');
    const w = weights ?? ops.map(() => 1);
    if (w.length !== ops.length || w.some((x) => !(x >= 0)) || w.every((x) => x === 0)) {
      throw new RangeError(
        `Expected \`weights\` to be ${ops.length} non-negative numbers, not all zero, got ${JSON.stringify(weights)}`,
      );
    }
    const total = w.reduce((a, b) => a + b, 0);
    let acc = 0;
    this.#cumulative = w.map((x) => (acc += x / total));
    this.needs = union(ops);
    this.preservesLabel = ops.every((o) => o.preservesLabel);
    this.params = Object.freeze({ ops: ops.map((o) => ({ op: o.name, params: o.params })), weights: [...w] });
  }

  async apply(items: readonly OpItem[], rng: SeededRng, ctx: OpContext): Promise<OpResult[]> {
    const draws = rng.fork('draw');
    const groups = this.ops.map(() => [] as number[]);
    items.forEach((it, i) => {
      const u = draws.fork(it.key).next();
      let k = 0;
      while (k < this.ops.length - 1 && !(u < this.#cumulative[k]!)) k++;
      groups[k]!.push(i);
    });
    const results = new Array<OpResult>(items.length);
    for (let k = 0; k < this.ops.length; k++) {
      const idx = groups[k]!;
      if (idx.length === 0) continue;
      const op = this.ops[k]!;
      const out = await op.apply(
        idx.map((i) => items[i]!),
        rng.fork(k),
        ctx,
      );
      out.forEach((r, j) => {
        results[idx[j]!] = r.status === 'ok' ? { ...r, applied: appliedOps(op, r) } : { ...r, op: r.op ?? op.name };
      });
    }
    return results;
  }
}

function mergeInfo(
  before: Record<string, unknown> | undefined,
  step: string,
  info: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (!info) return before;
  return { ...before, [step]: info };
}

/** Leaf ops of a tree, by name (first occurrence wins), so provenance can name the params of the ops applied. */
export function leafOps(op: AugmentOp, out = new Map<string, AugmentOp>()): Map<string, AugmentOp> {
  if (op instanceof Sequence) op.steps.forEach((s) => leafOps(s, out));
  else if (op instanceof Sometimes) leafOps(op.op, out);
  else if (op instanceof OneOf) op.ops.forEach((o) => leafOps(o, out));
  else if (!out.has(op.name)) out.set(op.name, op);
  return out;
}
