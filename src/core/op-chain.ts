/**
 * The name an augmentation's op chain is counted under (report rows, per-op duplicate counts): the ops
 * that edited it, in order, joined by '+'. One definition, so the runner's counts and the report's rows
 * always use the same keys.
 */
export function opChainKey(ops: readonly string[]): string {
  return ops.join('+') || '(none)';
}
