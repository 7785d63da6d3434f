import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Example } from '../../src/core/types.ts';
import type { OpItem } from '../../src/augment/op.ts';
import { TokenizedText } from '../../src/augment/text/tokenized-text.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
export const sharedDir = process.env.DISTILLERY_SHARED_DIR ?? path.resolve(repoRoot, '../shared');

/** SST-2 dev sentences (public corpus beside the repo). */
export function sst2Dev(limit = Infinity): Example[] {
  const lines = readFileSync(path.join(sharedDir, 'data/corpora/sst2/dev.jsonl'), 'utf8').trim().split('\n');
  return lines.slice(0, limit).map((l, i) => {
    const row = JSON.parse(l) as { text: string; label: number };
    return { id: `sst2-dev-${i}`, text: row.text, label: row.label, origin: { kind: 'original' } };
  });
}

export const item = (text: string, key = 'k'): OpItem => ({ key, text: TokenizedText.parse(text) });
export const example = (id: string, text: string, label: number | null = null): Example => ({ id, text, label, origin: { kind: 'original' } });
