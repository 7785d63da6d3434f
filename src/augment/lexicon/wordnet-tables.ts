/** What the WordNet index looks words up in, whether parsed from the text files or read from the binary cache. */
export type WordNetPos = 'n' | 'v' | 'a' | 'r';
export const WORDNET_POS: readonly WordNetPos[] = ['n', 'v', 'a', 'r'];

export interface WordNetTables {
  /** synsets of `pos` */
  synsetCount(pos: WordNetPos): number;
  /** lemmas of synset `id` (spaces, WordNet casing) */
  synsetLemmas(pos: WordNetPos, id: number): readonly string[];
  /** synset numbers of a lowercase lemma, most frequent sense first; undefined when not a lemma of `pos` */
  senses(pos: WordNetPos, key: string): readonly number[] | undefined;
  /** every lowercase lemma of `pos` */
  keys(pos: WordNetPos): Iterable<string>;
  /**
   * Optional fast path of WordNetIndex.synonyms (lowercase `key`, the POS to search in order), for tables
   * that can answer it without building every lemma's string; it must answer exactly what that method's
   * loop over senses() and synsetLemmas() answers.
   */
  lemmaSynonyms?(key: string, poses: readonly WordNetPos[]): string[];
}
