/**
 * The one interface every augmentation op implements.
 * An op gets a batch of items and an explicit SeededRng; each item draws from `rng.fork(item.key)`,
 * so an item's result never depends on what else is in the batch or in which order batches run.
 * Per item it answers a typed result: an edited text, or a skip with its reason (never a silent copy).
 */
import type { SeededRng } from '../core/seeded-rng.ts';
import type { TokenizedText } from './text/tokenized-text.ts';
import type { FillMasker, Scorer, TextGenerator, Translator } from './model-interfaces.ts';

export type SkipReason =
  | 'empty'
  | 'too-short'
  | 'too-long'
  | 'no-candidates'
  | 'no-change'
  | 'max-change-exceeded'
  | 'model-failed'
  | 'op-failed';

export interface OpItem {
  /** stable per-item key (example id plus variant number): the rng stream's label */
  key: string;
  text: TokenizedText;
  textPair?: string;
}

export type OpResult =
  | {
      status: 'ok';
      text: string;
      textPair?: string;
      /** token positions changed in `text` (after all edits) */
      changed: readonly number[];
      /** the edited value, for the next op of a chain */
      value: TokenizedText;
      /** facts an op reports about this result (e.g. adversarial: whether the label flipped) */
      info?: Record<string, unknown>;
      /** names of the ops that edited this text, in order (set by compositions; a leaf op means itself) */
      applied?: string[];
    }
  | { status: 'skipped'; reason: SkipReason; detail?: string; /** the op that skipped */ op?: string };

export type OpNeed = 'scorer' | 'fillMasker' | 'translator' | 'generator';

export interface OpContext {
  scorer?: Scorer;
  fillMasker?: FillMasker;
  translator?: Translator;
  generator?: TextGenerator;
  signal?: AbortSignal;
}

export interface AugmentOp {
  readonly name: string;
  /** the op's resolved parameters, recorded in each output's provenance */
  readonly params: Readonly<Record<string, unknown>>;
  /** models the op calls through the context */
  readonly needs: readonly OpNeed[];
  /** true when the op aims to keep the label (synonyms, typos); false for adversarial ops */
  readonly preservesLabel: boolean;
  /** one result per item, same order */
  apply(items: readonly OpItem[], rng: SeededRng, ctx: OpContext): Promise<OpResult[]>;
}

export function ok(value: TokenizedText, item: OpItem, info?: Record<string, unknown>): OpResult {
  if (value.edits === 0 || value.text === item.text.text) return { status: 'skipped', reason: 'no-change' };
  const r: OpResult = { status: 'ok', text: value.text, changed: value.modified, value };
  if (item.textPair !== undefined) r.textPair = item.textPair;
  if (info) r.info = info;
  return r;
}

export const skipped = (reason: SkipReason, detail?: string): OpResult =>
  detail === undefined ? { status: 'skipped', reason } : { status: 'skipped', reason, detail };

/** Base for ops that edit one text at a time without a model: the batch loop lives here, once. */
export abstract class SyncOp implements AugmentOp {
  abstract readonly name: string;
  abstract readonly params: Readonly<Record<string, unknown>>;
  readonly needs: readonly OpNeed[] = [];
  abstract readonly preservesLabel: boolean;

  async apply(items: readonly OpItem[], rng: SeededRng, _ctx?: OpContext): Promise<OpResult[]> {
    return items.map((item) => {
      try {
        return this.applyOne(item, rng.fork(item.key));
      } catch (err) {
        // One bad text must not sink the batch; the caller sees why.
        return skipped('op-failed', err instanceof Error ? err.message : String(err));
      }
    });
  }

  /** The one hook: edit one text with its own rng stream. */
  abstract applyOne(item: OpItem, rng: SeededRng): OpResult;
}
