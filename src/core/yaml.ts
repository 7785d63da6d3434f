/**
 * YAML parsing, loaded on first use: most runs read no YAML at all (an augment with a built-in recipe
 * and no config file), and the parser costs tens of milliseconds of every start-up to load. require()
 * because callers parse synchronously; the package's Node entry is CommonJS either way.
 */
import { createRequire } from 'node:module';

type YamlParse = (text: string) => unknown;
let parse: YamlParse | undefined;

export function parseYaml(text: string): unknown {
  parse ??= (createRequire(import.meta.url)('yaml') as { parse: YamlParse }).parse;
  return parse(text);
}
