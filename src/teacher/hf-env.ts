/**
 * The one place that configures transformers.js. Offline by default: nothing is fetched from a hub
 * unless the user enabled remote models.
 */
import path from 'node:path';
import { AutoModel, AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { DistilleryError } from '../core/errors.ts';

env.allowRemoteModels = false;
env.allowLocalModels = true;

/**
 * Remote models are off unless the user enables them; downloads go to `cacheDir` (default: the
 * transformers.js cache inside node_modules, which a non-root container user cannot write).
 */
export function setRemoteModelsAllowed(allowed: boolean, cacheDir?: string): void {
  env.allowRemoteModels = allowed;
  if (cacheDir) env.cacheDir = cacheDir;
}

export async function loadTokenizer(dir: string): Promise<PreTrainedTokenizer> {
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
  if (!env.allowRemoteModels) {
    throw new DistilleryError('CONFIG_INVALID', `Teacher "${hubId}" is a hub id but remote models are disabled`, {
      hint: 'set DISTILLERY_ALLOW_REMOTE_MODELS=1 on a connected machine, or point the teacher at a local folder',
    });
  }
  await AutoTokenizer.from_pretrained(hubId);
  const model = await AutoModel.from_pretrained(hubId, { dtype: dtype as 'fp32' });
  await model.dispose();
  return path.join(env.cacheDir ?? '', hubId);
}
