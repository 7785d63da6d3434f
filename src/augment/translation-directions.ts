/**
 * The translation directions a recipe will ask its Translator for (e.g. en-de and de-en for the default
 * back-translation), read from the op tree's recorded params: composite ops record each child as
 * `{ op, params }`, and back-translate records its `source` and `pivots`. Lets a front door refuse a
 * recipe whose directions have no model before anything runs, instead of every attempt being skipped.
 */
import type { AugmentOp } from './op.ts';

const BACK_TRANSLATE = 'back-translate';

/** In the order the hops run, each direction once. */
export function translationDirections(op: Pick<AugmentOp, 'name' | 'params'>): string[] {
  const found = new Set<string>();
  const visit = (name: unknown, params: unknown) => {
    if (
      name === BACK_TRANSLATE &&
      isRecord(params) &&
      typeof params.source === 'string' &&
      Array.isArray(params.pivots)
    ) {
      const chain = [params.source, ...params.pivots.map(String), params.source];
      for (let i = 0; i + 1 < chain.length; i++) found.add(`${chain[i]}-${chain[i + 1]}`);
      return;
    }
    walk(params);
  };
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isRecord(v)) {
      if (typeof v.op === 'string' && 'params' in v) visit(v.op, v.params);
      else Object.values(v).forEach(walk);
    }
  };
  visit(op.name, op.params);
  return [...found];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
