/**
 * The one place that configures transformers.js. Offline by default: nothing is fetched from a hub
 * unless the user enabled remote models.
 *
 * transformers.js (and onnxruntime-node under it) is imported on first use, not at start-up: commands
 * that run no model (augment with eda, export, datasets, --help) would otherwise pay for loading it.
 */
import path from 'node:path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { DistilleryError } from '../core/errors.ts';

type Transformers = typeof import('@huggingface/transformers');

const settings: { allowRemoteModels: boolean; cacheDir?: string } = { allowRemoteModels: false };
let loaded: Transformers | undefined;
let loading: Promise<Transformers> | undefined;

function applySettings(t: Transformers): void {
  t.env.allowRemoteModels = settings.allowRemoteModels;
  t.env.allowLocalModels = true;
  if (settings.cacheDir) t.env.cacheDir = settings.cacheDir;
}

/** transformers.js, configured by this module before anything can use it. */
export function transformers(): Promise<Transformers> {
  loading ??= import('@huggingface/transformers').then((t) => {
    applySettings(t);
    loaded = t;
    return t;
  });
  return loading;
}

/**
 * Remote models are off unless the user enables them; downloads go to `cacheDir` (default: the
 * transformers.js cache inside node_modules, which a non-root container user cannot write).
 */
export function setRemoteModelsAllowed(allowed: boolean, cacheDir?: string): void {
  settings.allowRemoteModels = allowed;
  if (cacheDir) settings.cacheDir = cacheDir;
  if (loaded) applySettings(loaded);
}

export async function loadTokenizer(dir: string): Promise<PreTrainedTokenizer> {
  const { AutoTokenizer } = await transformers();
  // An absolute path is not a valid hub id, so transformers.js reads the folder directly.
  try {
    return await AutoTokenizer.from_pretrained(path.resolve(dir), { local_files_only: true });
  } catch (err) {
    throw new DistilleryError('MODEL_LOAD_FAILED', `Cannot load the tokenizer in ${dir}: ${(err as Error).message}`, {
      hint: 'the folder needs tokenizer.json and tokenizer_config.json',
      cause: err,
    });
  }
}

/**
 * Downloads a hub model into transformers.js's file cache and returns the local folder.
 * Only when remote models are enabled (DISTILLERY_ALLOW_REMOTE_MODELS=1 on a connected machine).
 */
export async function fetchHubModel(hubId: string, dtype: string): Promise<string> {
  if (!settings.allowRemoteModels) {
    throw new DistilleryError('CONFIG_INVALID', `Teacher "${hubId}" is a hub id but remote models are disabled`, {
      hint: 'set DISTILLERY_ALLOW_REMOTE_MODELS=1 on a connected machine, or point the teacher at a local folder',
    });
  }
  const { AutoModel, AutoTokenizer, env } = await transformers();
  await AutoTokenizer.from_pretrained(hubId);
  const model = await AutoModel.from_pretrained(hubId, { dtype: dtype as 'fp32' });
  await model.dispose();
  return path.join(env.cacheDir ?? '', hubId);
}
