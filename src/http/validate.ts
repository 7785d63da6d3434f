/** Parses a request part with a zod schema; a mismatch becomes a 422 problem naming the field. */
import type { z } from 'zod';
import { fromZod, pointerOf, HttpProblem } from './problem.ts';

export function parseOr422<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'params' = 'body',
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  if (where === 'body') throw fromZod(r.error);
  // Path and query parameters are named by their parameter, not by a JSON pointer into the body.
  const issue = r.error.issues[0]!;
  const name = issue.path.map(String).join('.') || where;
  throw new HttpProblem(
    422,
    `${where === 'query' ? 'query parameter' : 'path parameter'} "${name}": ${issue.message}`,
    {
      errors: r.error.issues.map((i) => ({ pointer: `${where}:${pointerOf(i.path)}`, detail: i.message })),
    },
  );
}
