// One augmentation thread of the pool (src/jobs/augment-pool.ts). Plain JS that registers tsx itself, so
// it starts the same way whether the parent runs under `tsx`, `node --import tsx` or anything else.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { augmentCorpus, compileRecipe } = await import('../augment/index.ts');

parentPort.on('message', async ({ id, examples, recipe, seed, compile }) => {
  try {
    const compiled = compileRecipe(recipe, compile);
    const result = await augmentCorpus(examples, compiled, { seed });
    // The HTTP answer is serialized here and its bytes transferred: a multi-MB answer would otherwise be
    // structured-cloned into the main thread and stringified there, holding the event loop for tens of ms.
    const body = new TextEncoder().encode(JSON.stringify({ examples: result.examples, stats: result.stats }));
    parentPort.postMessage({ id, ok: true, body }, [body.buffer]);
  } catch (err) {
    parentPort.postMessage({
      id,
      ok: false,
      error: {
        message: err instanceof Error ? err.message : String(err),
        code: typeof err?.code === 'string' ? err.code : undefined,
        hint: typeof err?.hint === 'string' ? err.hint : undefined,
      },
    });
  }
});
parentPort.postMessage({ ready: true });
