/**
 * `distillery augment` without a store or a teacher run: corpus in, JSON lines out (originals, each followed by
 * its augmentations with provenance), streamed chunk by chunk.
 */
import type { Example } from '../core/types.ts';
import { readCorpus, type CorpusOptions, type CorpusStats } from './corpus/index.ts';
import type { ChunkAugmenter } from './runner/ports.ts';

export interface AugmentFileStats {
  records: number;
  augmentations: number;
  skipped: number;
}

export function exampleJson(e: Example): string {
  const row: Record<string, unknown> = { id: e.id, text: e.text };
  if (e.textPair !== undefined) row.text_pair = e.textPair;
  row.label = e.label ?? null;
  row.origin = e.origin;
  return JSON.stringify(row);
}

export async function augmentFile(
  corpus: CorpusOptions,
  augmenter: ChunkAugmenter,
  write: (line: string) => Promise<void> | void,
  opts: { chunkSize?: number; onlyNew?: boolean; stats?: CorpusStats } = {},
): Promise<AugmentFileStats> {
  const size = opts.chunkSize ?? 1000;
  const totals: AugmentFileStats = { records: 0, augmentations: 0, skipped: 0 };
  let chunk: Example[] = [];
  const flush = async () => {
    const outcome = await augmenter.augment(chunk);
    const byParent = new Map<string, Example[]>();
    for (const a of outcome.examples) {
      const parent = a.origin.kind === 'augmentation' ? a.origin.parentId : a.id;
      byParent.set(parent, [...(byParent.get(parent) ?? []), a]);
    }
    for (const o of chunk) {
      if (!opts.onlyNew) await write(exampleJson(o));
      for (const a of byParent.get(o.id) ?? []) await write(exampleJson(a));
    }
    totals.records += chunk.length;
    totals.augmentations += outcome.examples.length;
    totals.skipped += outcome.skipped;
    chunk = [];
  };
  for await (const r of readCorpus(corpus, opts.stats)) {
    const e: Example = { id: r.id, text: r.input.text, label: r.label, origin: { kind: 'original' } };
    if (r.input.textPair !== undefined) e.textPair = r.input.textPair;
    chunk.push(e);
    if (chunk.length >= size) await flush();
  }
  if (chunk.length > 0) await flush();
  return totals;
}
