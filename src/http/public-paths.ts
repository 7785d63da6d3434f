/**
 * Answers never show where things live on the server: absolute paths in stored specs, manifests and
 * error messages are shown relative to the folder they sit in (a corpora folder, the data folder), or
 * by file name when they sit anywhere else.
 */
import path from 'node:path';

const ABSOLUTE = /(?:^|(?<=[\s"'(=:]))\/(?:[^\s"'():]+\/)*[^\s"'():]*/g;

export function publicPath(p: string, roots: readonly string[]): string {
  for (const root of roots) {
    const rel = path.relative(path.resolve(root), p);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
  }
  return path.basename(p);
}

/** Every absolute path inside a message, made public. */
export function publicMessage(message: string, roots: readonly string[]): string {
  return message.replace(ABSOLUTE, (m) => (m.length > 1 ? publicPath(m, roots) : m));
}

/** A JSON value with every string that is an absolute path made public. */
export function publicValue<T>(value: T, roots: readonly string[]): T {
  if (typeof value === 'string') return (path.isAbsolute(value) ? publicPath(value, roots) : value) as T;
  if (Array.isArray(value)) return value.map((v) => publicValue(v, roots)) as T;
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, publicValue(v, roots)])) as T;
  return value;
}
