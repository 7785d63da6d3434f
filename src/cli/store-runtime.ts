/**
 * The store named by the config (or --db), without the teacher registry: what the commands that only read
 * and edit the store need (`datasets`). The registry's module imports the whole inference side (ONNX and
 * causal-LM teachers, the tokenizer thread), about a fifth of what `datasets list` parsed before.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { openStore, type Store } from '../store/index.ts';
import { loadCliConfig } from './cli-context.ts';

export interface StoreRuntime {
  config: Config;
  store: Store;
  close(): void;
}

export function openStoreRuntime(opts: { config?: string; db?: string }): StoreRuntime {
  const config = loadCliConfig({
    ...(opts.config ? { config: opts.config } : {}),
    ...(opts.db ? { db: opts.db } : {}),
  });
  mkdirSync(path.dirname(config.db), { recursive: true });
  const store = openStore(config.db);
  return { config, store, close: () => store.close() };
}
