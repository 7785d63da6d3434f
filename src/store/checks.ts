/** Validation of what callers hand the store, with errors that say what to send instead. */
import { DistilleryError } from '../core/errors.ts';
import type { Example } from '../core/types.ts';
import type { OpStat } from './types.ts';

export const DATASET_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The 32 bytes of a hex input hash, as stored. */
export function hashBytes(hash: string): Buffer {
  if (!HASH_PATTERN.test(hash))
    throw new DistilleryError('INVALID_INPUT', `'${hash}' is not an input hash`, {
      hint: 'use inputHash() from src/store/input-hash.ts',
    });
  return Buffer.from(hash, 'hex');
}

export function checkDatasetId(id: string): void {
  if (typeof id !== 'string' || !DATASET_ID_PATTERN.test(id)) {
    throw new DistilleryError('INVALID_INPUT', `dataset id '${id}' is not valid`, {
      hint: 'use 1-64 characters: lowercase letters, digits, dot, underscore, dash; start with a letter or digit',
    });
  }
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

export function checkOpStat(o: OpStat): OpStat {
  if (
    typeof o?.op !== 'string' ||
    o.op.length === 0 ||
    !isCount(o.produced) ||
    !isCount(o.duplicates) ||
    o.duplicates > o.produced
  ) {
    throw new DistilleryError('INVALID_INPUT', `op stat ${JSON.stringify(o)} is invalid`, {
      hint: 'expected { op, produced, duplicates } with 0 <= duplicates <= produced',
    });
  }
  return o;
}

export function checkExample(e: Example, i: number): void {
  const where = `example ${i}${typeof e?.id === 'string' ? ` (id '${e.id}')` : ''}`;
  if (typeof e?.id !== 'string' || e.id.length === 0) throw new DistilleryError('INVALID_INPUT', `${where} has no id`);
  if (typeof e.text !== 'string') throw new DistilleryError('INVALID_INPUT', `${where} has no text`);
  if (e.textPair !== undefined && typeof e.textPair !== 'string')
    throw new DistilleryError('INVALID_INPUT', `${where} has a non-string textPair`);
  if (e.label !== undefined && e.label !== null && typeof e.label !== 'string' && typeof e.label !== 'number') {
    throw new DistilleryError('INVALID_INPUT', `${where} has a label that is neither string nor number`);
  }
  if (e.origin?.kind !== 'original' && e.origin?.kind !== 'augmentation') {
    throw new DistilleryError('INVALID_INPUT', `${where} has no origin`, {
      hint: "set origin to { kind: 'original' } or an augmentation origin",
    });
  }
}
