#!/usr/bin/env node
// Runs the JavaScript built from src/ into dist/ (`npm ci` builds it; `npm run build` rebuilds it), which
// starts in a fraction of the time tsx needs to transpile the sources. When dist/ is missing or older than
// src/ (scripts/dist-freshness.js says how that is decided), runs the sources through tsx instead, so an
// edited checkout never runs stale code.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distState } from '../scripts/dist-freshness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const state = distState(root);
if (process.env.DISTILLERY_DEBUG) {
  process.setSourceMapsEnabled(true);
  process.stderr.write(
    `distillery: ${state === 'fresh' ? 'running dist/' : `running src/ through tsx (dist/ is ${state})`}\n`,
  );
}
if (state === 'fresh') {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
