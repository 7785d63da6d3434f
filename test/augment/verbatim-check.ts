/**
 * An independent check that an augmentation kept what it did not edit: its own tokenizer (a regex, not
 * TokenizedText) and its own idea of what an op may touch, so a bug in the ops' shared code cannot hide here.
 * It returns the first problem found, or undefined.
 */
export type EditKind = 'insert' | 'delete' | 'swap' | 'replace';

interface Tok {
  text: string;
  /** whitespace before the token was empty (glued to the token before) */
  glued: boolean;
  word: boolean;
  chunk: number;
}

const TOKEN = /[\p{L}\p{M}\p{N}]+(?:['’-][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]+/gu;
const WORD = /^[\p{L}\p{N}]/u;
const CLITIC_CHUNK = /^(?:['’][\p{L}\p{N}]|n['’]t(?![\p{L}\p{N}]))/iu;

function tokens(s: string): Tok[] {
  const out: Tok[] = [];
  let end = 0;
  let chunk = -1;
  for (const m of s.matchAll(TOKEN)) {
    const glued = out.length > 0 && m.index === end;
    if (!glued) chunk++;
    out.push({ text: m[0], glued, word: WORD.test(m[0]), chunk });
    end = m.index + m[0].length;
  }
  return out;
}

const chunks = (s: string): string[] => s.split(/\s+/).filter((c) => c !== '');
const isClitic = (chunk: string): boolean => CLITIC_CHUNK.test(chunk);
/** The clitic itself, without punctuation a deletion may have glued after it ("'s." is still "'s"). */
const cliticOf = (chunk: string): string => /^(?:['’][\p{L}\p{N}]+|n['’]t)/iu.exec(chunk)![0];

/**
 * Token k may be edited: a word alone in its chunk, not a clitic, not the "ca" of "ca n't"; and, unless the op
 * moves or deletes whole words, not a contraction ("can't" may go, but not become "cannot't").
 */
function editable(t: Tok[], k: number, chunkText: string[], whole = false): boolean {
  const tok = t[k]!;
  if (!tok.word || (!whole && /['’]/.test(tok.text))) return false;
  if (t.filter((x) => x.chunk === tok.chunk && x.word).length !== 1) return false;
  if (isClitic(chunkText[tok.chunk]!)) return false;
  const next = chunkText[tok.chunk + 1];
  return !(next !== undefined && /^n['’]t/i.test(next));
}

/** Whether token k carries a clitic (the chunk after its own is one): it must not move or go. */
function host(t: Tok[], k: number, chunkText: string[]): boolean {
  const next = chunkText[t[k]!.chunk + 1];
  return next !== undefined && isClitic(next);
}

/**
 * Heaviest common subsequence of tokens: pairs [i in a, j in b]. Punctuation weighs more than words, so
 * "ever , always" -> "always , forever" aligns the commas, not "always". With `spacing`, a token that changed
 * its spacing counts as a different token, so a replacement phrase holding the original word ("premium" ->
 * "exchange premium") is not misread as the word kept and re-spaced.
 */
function lcs(a: Tok[], b: Tok[], spacing: boolean): [number, number][] {
  const same = (x: Tok, y: Tok): boolean => x.text === y.text && (!spacing || x.glued === y.glued);
  const weight = (x: Tok): number => (x.word ? 1 : 1000);
  const w = b.length + 1;
  const dp = new Float64Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) {
      const skip = Math.max(dp[(i + 1) * w + j]!, dp[i * w + j + 1]!);
      dp[i * w + j] = same(a[i]!, b[j]!) ? Math.max(skip, weight(a[i]!) + dp[(i + 1) * w + j + 1]!) : skip;
    }
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (same(a[i]!, b[j]!) && dp[i * w + j] === weight(a[i]!) + dp[(i + 1) * w + j + 1]!) pairs.push([i++, j++]);
    else if (dp[(i + 1) * w + j]! >= dp[i * w + j + 1]!) i++;
    else j++;
  }
  return pairs;
}

function multiset(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** The (host, clitic) chunk pairs of a text: "it 's" -> ["it 's"]. */
const cliticPairs = (c: string[]): string[] =>
  c.flatMap((x, i) => (i > 0 && isClitic(x) ? [`${c[i - 1]} ${cliticOf(x)}`] : []));

export function verbatimProblem(kind: EditKind, before: string, after: string): string | undefined {
  const a = tokens(before);
  const b = tokens(after);
  const ca = chunks(before);
  const cb = chunks(after);

  // No new apostrophe-led token, and no clitic separated from (or handed to) another host.
  const newClitics = multiset(cb.filter(isClitic).map(cliticOf));
  for (const [c, n] of multiset(ca.filter(isClitic).map(cliticOf))) newClitics.set(c, (newClitics.get(c) ?? 0) - n);
  for (const [c, n] of newClitics) if (n > 0) return `new apostrophe-led token "${c}"`;
  if (kind !== 'replace') {
    const pa = multiset(cliticPairs(ca));
    for (const p of cliticPairs(cb)) {
      if (!pa.get(p)) return `clitic moved apart from its host: "${p}"`;
      pa.set(p, pa.get(p)! - 1);
    }
  }

  const pairs = kind === 'swap' ? a.map((_, i) => [i, i] as [number, number]) : lcs(a, b, kind === 'replace');
  const matchedA = new Map(pairs.map(([i, j]) => [i, j]));
  const matchedB = new Map(pairs.map(([i, j]) => [j, i]));
  // what was kept keeps its spacing: glued punctuation stays glued, spaced tokens stay spaced
  for (const [i, j] of pairs) {
    if (kind === 'swap' && a[i]!.text !== b[j]!.text) continue;
    // (a deletion may space out punctuation that would otherwise merge into the punctuation before it)
    const unmerged = kind === 'delete' && a[i]!.glued && !b[j - 1]?.word;
    if (i > 0 && j > 0 && a[i]!.glued !== b[j]!.glued && !unmerged) return `spacing before "${a[i]!.text}" changed`;
    if (a[i]!.glued && i > 0 && j > 0 && kind !== 'delete') {
      // a glued pair stays together unless one side was replaced
      const prev = matchedB.get(j - 1);
      if (prev !== undefined && prev !== i - 1) return `"${a[i]!.text}" glued to another token`;
      if (prev === undefined && kind === 'insert') return `"${a[i]!.text}" glued to an inserted word`;
    }
  }

  switch (kind) {
    case 'insert': {
      if (pairs.length !== a.length) return 'an original token was lost';
      for (let j = 0; j < b.length; j++) {
        if (matchedB.has(j)) continue;
        if (!b[j]!.word) return `inserted non-word "${b[j]!.text}"`;
        if (j > 0 && b[j]!.glued) return `inserted "${b[j]!.text}" glued to "${b[j - 1]!.text}"`;
        if (b[j + 1]?.glued) return `"${b[j + 1]!.text}" glued to inserted "${b[j]!.text}"`;
      }
      return undefined;
    }
    case 'delete': {
      if (pairs.length !== b.length) return 'an output token is not from the input';
      for (let i = 0; i < a.length; i++) {
        if (matchedA.has(i)) continue;
        // (a deleted host shows as a clitic paired with a new word, caught above)
        if (!editable(a, i, ca, true)) return `deleted "${a[i]!.text}", which is not a free-standing word`;
      }
      return undefined;
    }
    case 'swap': {
      if (a.length !== b.length) return 'token count changed';
      const sa = a.map((t) => t.text).sort();
      const sb = b.map((t) => t.text).sort();
      if (sa.join('\u0000') !== sb.join('\u0000')) return 'tokens differ';
      for (let i = 0; i < a.length; i++) {
        if (a[i]!.glued !== b[i]!.glued) return `spacing at ${i} changed`;
        if (a[i]!.text === b[i]!.text) continue;
        if (!editable(a, i, ca, true) || host(a, i, ca)) return `moved "${a[i]!.text}", which may not move`;
        if (!b[i]!.word) return `"${b[i]!.text}" moved into a word's place`;
      }
      return undefined;
    }
    case 'replace': {
      for (let i = 0; i < a.length; i++)
        if (!matchedA.has(i) && !editable(a, i, ca))
          return `replaced "${a[i]!.text}", which is not a free-standing word`;
      for (let j = 0; j < b.length; j++) {
        if (matchedB.has(j)) continue;
        if (!b[j]!.word) return `new non-word "${b[j]!.text}"`;
        const run = j === 0 || matchedB.has(j - 1);
        // a replacement phrase is spaced inside; its first word takes the spacing of what it replaced
        if (!run && b[j]!.glued) return `"${b[j]!.text}" glued inside a replacement`;
        if (b[j + 1] && matchedB.has(j + 1) && b[j + 1]!.glued) {
          const i = matchedB.get(j + 1)!;
          if (!a[i]!.glued) return `"${b[j + 1]!.text}" glued to replacement "${b[j]!.text}"`;
        }
      }
      return undefined;
    }
  }
}
