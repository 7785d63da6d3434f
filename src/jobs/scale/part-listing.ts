/**
 * The listing of parts common to both kinds (part-file.ts's `.part`, sequence-part-file.ts's `.seqpart`):
 * a part's name carries its chunk and the first 16 hex digits of its bytes' sha256, so a listing checks
 * every part it finds against its name and refuses a mismatch with the file to remove.
 */
import { createHash } from 'node:crypto';
import { DistilleryError } from '../../core/errors.ts';
import type { PartsLocation } from './parts-location.ts';

/** One kind of part file. */
export interface PartKind<T> {
  /** its names: group 1 the chunk, group 2 the sha256's first 16 hex digits */
  name: RegExp;
  /** what a listing keeps of a part's bytes, once they match its name; `where` names the part in errors */
  facts(bytes: Buffer, where: string): T;
}

export interface ListedPart {
  chunk: number;
  /** file name inside the parts directory */
  name: string;
  sha256: string;
}

/** The facts of a part named `name` (a name of `kind`); bytes that do not match it are refused with `where`. */
export function checkedPart<T>(kind: PartKind<T>, name: string, bytes: Buffer, where: string): ListedPart & T {
  const m = kind.name.exec(name)!;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (!sha256.startsWith(m[2]!))
    throw new DistilleryError('INVALID_INPUT', `part ${where} is corrupt: its sha256 is ${sha256}`, {
      hint: 'remove it and rerun the shard that owns its chunk: the chunk is computed again',
    });
  return { chunk: Number(m[1]), name, sha256, ...kind.facts(bytes, where) };
}

/** Every part of `kind` in `loc`, in name order, each checked against its name. */
export async function listPartsOfKind<T>(loc: PartsLocation, kind: PartKind<T>): Promise<(ListedPart & T)[]> {
  const out: (ListedPart & T)[] = [];
  for (const name of await loc.names())
    if (kind.name.test(name)) out.push(checkedPart(kind, name, await loc.read(name), loc.at(name)));
  return out;
}
