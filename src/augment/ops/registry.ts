/** Op names as users write them in recipes, and how each is built from its params. */
import { DistilleryError } from '../../core/errors.ts';
import { UserLexicon } from '../lexicon/user-lexicon.ts';
import type { AugmentOp } from '../op.ts';
import { AdversarialOp } from './adversarial-op.ts';
import { BackTranslateOp } from './back-translate-op.ts';
import { CharNoiseOp } from './char-noise-op.ts';
import { DeleteOp } from './delete-op.ts';
import { InsertOp } from './insert-op.ts';
import { LexiconOp } from './lexicon-op.ts';
import { MaskedLmOp } from './masked-lm-op.ts';
import { SwapOp } from './swap-op.ts';
import { SynonymOp } from './synonym-op.ts';

export const OP_NAMES = [
  'synonym',
  'insert',
  'delete',
  'swap',
  'char-noise',
  'lexicon',
  'adversarial',
  'masked-lm',
  'back-translate',
] as const;
export type OpName = (typeof OP_NAMES)[number];

type Params = Record<string, unknown>;
// Params are validated by each op's constructor (precise RangeErrors); the schema only checks the shape.
const FACTORIES: Readonly<Record<OpName, (p: Params) => AugmentOp>> = Object.freeze({
  synonym: (p: Params) => new SynonymOp(p),
  insert: (p: Params) => new InsertOp(p),
  delete: (p: Params) => new DeleteOp(p),
  swap: (p: Params) => new SwapOp(p),
  'char-noise': (p: Params) => new CharNoiseOp(p),
  lexicon: (p: Params) => {
    const { file, ...rest } = p;
    if (typeof file !== 'string' || file === '')
      throw new RangeError('Expected `file` (a JSON or TSV lexicon path) for the lexicon op');
    return new LexiconOp(UserLexicon.fromFile(file), rest);
  },
  adversarial: (p: Params) => new AdversarialOp(p),
  'masked-lm': (p: Params) => new MaskedLmOp(p),
  'back-translate': (p: Params) => new BackTranslateOp(p),
});

export function createOp(name: OpName, params: Params = {}): AugmentOp {
  try {
    return FACTORIES[name](params);
  } catch (err) {
    if (err instanceof DistilleryError) throw err;
    throw new DistilleryError('CONFIG_INVALID', `Op "${name}": ${err instanceof Error ? err.message : String(err)}`, {
      hint: 'fix the op params in the recipe',
      cause: err,
    });
  }
}
