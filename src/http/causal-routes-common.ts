/** What the causal-LM routes share: which teacher a request means, and 422s that point at the field. */
import { isDistilleryError } from '../core/errors.ts';
import { HttpProblem } from './problem.ts';

export interface CausalCatalog {
  names(): string[];
  isCausal(name: string): boolean;
}

/** The default teacher when it is a causal LM, else the first configured causal LM; undefined when none is. */
export function defaultCausalTeacher(catalog: CausalCatalog, defaultTeacher: string | undefined): string | undefined {
  if (defaultTeacher !== undefined && catalog.isCausal(defaultTeacher)) return defaultTeacher;
  return catalog.names().find((n) => catalog.isCausal(n));
}

/** `messages[1].role` -> `/messages/1/role`, `tokenIds[3]` -> `/tokenIds/3`; `input` (the row itself) -> `` */
export function fieldPointer(field: string): string {
  if (field === 'input' || field === '') return '';
  return (
    '/' +
    field
      .replace(/\[(\d+)\]/g, '.$1')
      .split('.')
      .join('/')
  );
}

export function fieldProblem(pointer: string, detail: string, hint?: string): HttpProblem {
  return new HttpProblem(422, `field ${pointer || '/'}: ${detail}`, {
    errors: [{ pointer: pointer || '/', detail }],
    ...(hint ? { hint } : {}),
  });
}

/**
 * A teacher's spec check (validateSpec) throws INVALID_INPUT with `details.field`: give it the
 * request's pointer for that field (`fields` maps spec names such as `topK` to pointers).
 */
export async function specChecked<T>(fields: Record<string, string>, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const field = isDistilleryError(err) ? (err.details as { field?: unknown } | undefined)?.field : undefined;
    if (err instanceof Error && isDistilleryError(err) && err.code === 'INVALID_INPUT' && typeof field === 'string') {
      const pointer = fields[field] ?? fieldPointer(field);
      throw fieldProblem(pointer, err.message.replace(new RegExp(`^${field}: `), ''));
    }
    throw err;
  }
}
