/**
 * EDA random deletion: each word deleted with probability alpha; if every candidate would go, one stays.
 * Stopwords are protected by default ("not" carries the label); `protectStopwords: false` is EDA's original.
 */
import type { SeededRng } from '../../core/seeded-rng.ts';
import { ok, skipped, SyncOp, type OpItem, type OpResult } from '../op.ts';
import { checkShare, contentWords, movableWords } from './word-choice.ts';

export interface DeleteParams {
  alpha: number;
  protectStopwords: boolean;
}

export class DeleteOp extends SyncOp {
  readonly name = 'delete';
  readonly params: Readonly<DeleteParams>;
  readonly preservesLabel = true;

  constructor(params: Partial<DeleteParams> = {}) {
    super();
    this.params = Object.freeze({
      alpha: checkShare('alpha', params.alpha ?? 0.1),
      protectStopwords: params.protectStopwords ?? true,
    });
  }

  applyOne(item: OpItem, rng: SeededRng): OpResult {
    const text = item.text;
    if (text.wordCount === 0) return skipped('empty');
    if (text.wordCount === 1) return skipped('too-short');
    // A clitic's host stays (deleting "film" from "the film 's end" leaves "the 's end"), and so does a word
    // glued after an opening bracket or quote (deleting "really" from "(really)" leaves "()").
    const candidates = movableWords(text, this.params.protectStopwords ? contentWords(text) : text.wordIndices).filter(
      (i) => i === 0 || text.tokens[i]!.pre !== '',
    );
    if (candidates.length === 0) return skipped('no-candidates');
    let doomed = candidates.filter(() => rng.next() < this.params.alpha);
    if (doomed.length === text.wordCount) {
      const keep = rng.pick(doomed);
      doomed = doomed.filter((i) => i !== keep);
    }
    if (doomed.length === 0) return skipped('no-change', `no word drawn at alpha = ${this.params.alpha}`);
    let value = text;
    for (let k = doomed.length - 1; k >= 0; k--) value = value.remove(doomed[k]!);
    return ok(value, item);
  }
}
