/**
 * `distillery augment` without a store or a teacher run: corpus in, JSON lines out (originals, each followed by
 * its augmentations with provenance), streamed chunk by chunk.
 */
import type { Example } from '../core/types.ts';
import { readCorpus, type CorpusOptions, type CorpusRecord, type CorpusStats } from './corpus/index.ts';
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

/**
 * `write` gets each chunk's JSON lines as one string, every line ending in a newline: one write per chunk.
 * `records`: the corpus's records already read (scanCorpus's `kept`), taken instead of reading the file again;
 * `stats` then stays as it is.
 */
export async function augmentFile(
  corpus: CorpusOptions,
  augmenter: ChunkAugmenter,
  write: (lines: string) => Promise<void> | void,
  opts: { chunkSize?: number; onlyNew?: boolean; stats?: CorpusStats; records?: Iterable<CorpusRecord> } = {},
): Promise<AugmentFileStats> {
  const size = opts.chunkSize ?? 1000;
  const totals: AugmentFileStats = { records: 0, augmentations: 0, skipped: 0 };
  let chunk: Example[] = [];
  const flush = async () => {
    const outcome = await augmenter.augment(chunk);
    const byParent = new Map<string, Example[]>();
    for (const a of outcome.examples) {
      const parent = a.origin.kind === 'augmentation' ? a.origin.parentId : a.id;
      const siblings = byParent.get(parent);
      if (siblings) siblings.push(a);
      else byParent.set(parent, [a]);
    }
    let lines = '';
    for (const o of chunk) {
      if (!opts.onlyNew) lines += `${exampleJson(o)}\n`;
      for (const a of byParent.get(o.id) ?? []) lines += `${exampleJson(a)}\n`;
    }
    if (lines !== '') await write(lines);
    totals.records += chunk.length;
    totals.augmentations += outcome.examples.length;
    totals.skipped += outcome.skipped;
    chunk = [];
  };
  for await (const r of opts.records ?? readCorpus(corpus, opts.stats)) {
    const e: Example = { id: r.id, text: r.input.text, label: r.label, origin: { kind: 'original' } };
    if (r.input.textPair !== undefined) e.textPair = r.input.textPair;
    chunk.push(e);
    if (chunk.length >= size) await flush();
  }
  if (chunk.length > 0) await flush();
  return totals;
}
