/** Gold labels come as names ("POSITIVE") or class indices (SST-2's 0/1); the report shows names. */
export function goldLabelName(label: string | number | null | undefined, labels: readonly string[]): string | null {
  if (label === null || label === undefined) return null;
  if (typeof label === 'number') return labels[label] ?? String(label);
  if (/^\d+$/.test(label)) return labels[Number(label)] ?? label;
  return label;
}

/** Class index of a gold label in the teacher's label list, or -1 when it is not one of them. */
export function goldLabelIndex(label: string | number | null | undefined, labels: readonly string[]): number {
  const name = goldLabelName(label, labels);
  if (name === null) return -1;
  const i = labels.indexOf(name);
  if (i >= 0) return i;
  return labels.findIndex((l) => l.toLowerCase() === name.toLowerCase());
}
