/**
 * Writes the tiny Marian translation pair into a directory:
 *   npx tsx tools/build-marian-fixtures.ts models
 * (until `distillery models build-fixtures` lists it through src/fixtures/index.ts).
 */
import path from 'node:path';
import { buildMarianFixtures, MARIAN_FIXTURE_NAMES } from '../src/fixtures/marian/build.ts';

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: npx tsx tools/build-marian-fixtures.ts OUT_DIR   (e.g. models)');
  process.exit(2);
}
await buildMarianFixtures(path.resolve(outDir));
console.log(`wrote ${MARIAN_FIXTURE_NAMES.join(', ')} to ${path.resolve(outDir)}`);
