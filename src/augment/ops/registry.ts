/** Op names as users write them in recipes, and how each is built from its params. */
import { DistilleryError } from '../../core/errors.ts';
import { UserLexicon } from '../lexicon/user-lexicon.ts';
import type { AugmentOp } from '../op.ts';
import { AdversarialOp } from './adversarial-op.ts';
import { BackTranslateOp } from './back-translate-op.ts';
import { CharNoiseOp } from './char-noise-op.ts';
import { DeleteOp } from './delete-op.ts';
import { GenerateOp } from './generate-op.ts';
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
  'generate',
] as const;
export type OpName = (typeof OP_NAMES)[number];

type Params = Record<string, unknown>;

export interface CreateOpOptions {
  /** the operator's lexicon catalogue (config `lexicons`): name -> file */
  lexicons?: Readonly<Record<string, string>>;
  /** the largest lexicon file read (config limits.maxLexiconBytes) */
  maxLexiconBytes?: number;
}

/** A lexicon given inline (`terms`), by catalogue name (`lexicon`), or by file (`file`, job files only). */
function lexiconOf(p: Params, opts: CreateOpOptions): UserLexicon {
  if (p.terms !== undefined) return UserLexicon.fromObject(p.terms, 'inline lexicon');
  if (typeof p.lexicon === 'string') {
    const file = opts.lexicons && Object.hasOwn(opts.lexicons, p.lexicon) ? opts.lexicons[p.lexicon] : undefined;
    if (file === undefined)
      throw new DistilleryError('INVALID_INPUT', `no lexicon named "${p.lexicon}" in the server config`, {
        hint: `configured lexicons: ${Object.keys(opts.lexicons ?? {}).join(', ') || 'none'} (config key \`lexicons\`)`,
      });
    return UserLexicon.fromFile(file, {
      source: `lexicon "${p.lexicon}"`,
      ...(opts.maxLexiconBytes ? { maxBytes: opts.maxLexiconBytes } : {}),
    });
  }
  if (typeof p.file === 'string' && p.file !== '')
    return UserLexicon.fromFile(p.file, opts.maxLexiconBytes ? { maxBytes: opts.maxLexiconBytes } : {});
  throw new RangeError('Expected one of `terms` (inline), `lexicon` (a configured name) or `file` for the lexicon op');
}

// Params are validated by each op's constructor (precise RangeErrors); the schema only checks the shape.
const FACTORIES: Readonly<Record<OpName, (p: Params, opts: CreateOpOptions) => AugmentOp>> = Object.freeze({
  synonym: (p: Params) => new SynonymOp(p),
  insert: (p: Params) => new InsertOp(p),
  delete: (p: Params) => new DeleteOp(p),
  swap: (p: Params) => new SwapOp(p),
  'char-noise': (p: Params) => new CharNoiseOp(p),
  lexicon: (p: Params, opts: CreateOpOptions) => {
    const { file: _file, terms: _terms, lexicon: _name, ...rest } = p;
    return new LexiconOp(lexiconOf(p, opts), rest);
  },
  adversarial: (p: Params) => new AdversarialOp(p),
  'masked-lm': (p: Params) => new MaskedLmOp(p),
  'back-translate': (p: Params) => new BackTranslateOp(p),
  generate: (p: Params) => new GenerateOp(p),
});

export function createOp(name: OpName, params: Params = {}, opts: CreateOpOptions = {}): AugmentOp {
  try {
    return FACTORIES[name](params, opts);
  } catch (err) {
    if (err instanceof DistilleryError) throw err;
    throw new DistilleryError('CONFIG_INVALID', `Op "${name}": ${err instanceof Error ? err.message : String(err)}`, {
      hint: 'fix the op params in the recipe',
      cause: err,
    });
  }
}
