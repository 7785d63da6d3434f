/**
 * What a job submitted over HTTP may ask for: the JOB.yaml schema, no export targets (they write server
 * paths), a corpus inside the configured corpora folders, augmentation models named by plain folder
 * inside the models dir. Returns the job with its corpus path resolved.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { compileRecipe, type CompileOptions } from '../augment/index.ts';
import { DistilleryError } from '../core/errors.ts';
import {
  AugmentModels,
  withCorpusSize,
  remoteJobSchema,
  sequenceJobIssues,
  type CausalTeacherFacts,
  type JobSpec,
} from '../jobs/index.ts';
import { isS3Url, parseS3Url } from '../storage/s3-url.ts';
import { HttpProblem } from './problem.ts';
import { parseOr422 } from './validate.ts';

export interface JobRequestRules {
  /** folders a job's corpus.path may point into, searched in order */
  corporaDirs: readonly string[];
  /** the only folder augmentModels may name models in (by plain folder name) */
  modelsDir: string;
  /** files that are never a corpus, whatever folder they sit in: the store's database, WAL and journal */
  protectedFiles?: readonly string[];
  /** largest corpus file, in bytes */
  maxCorpusBytes?: number;
  /**
   * s3:// prefixes a job may name its corpus under (config s3.httpCorpora): the server reads them with its
   * own credentials, so none unless the operator lists them
   */
  s3Corpora?: readonly string[];
  /** which teachers are causal LMs and their vocabularies (the registry), for causal-LM jobs' fields */
  teachers?: CausalTeacherFacts;
}

/**
 * The job queue's validator for HTTP requests: the rules below, then a recipe whose models are named
 * nowhere is refused now, not after waiting in the queue.
 */
export function jobRequestValidator(
  rules: JobRequestRules & { augmentModels?: AugmentModels | undefined; compile?: CompileOptions | undefined },
): (request: unknown) => JobSpec {
  return (request) => {
    const job = validateJobRequest(request, rules);
    if (job.recipe !== null) {
      const models = job.augmentModels
        ? new AugmentModels(job.augmentModels, { modelsDir: rules.modelsDir })
        : rules.augmentModels;
      try {
        models?.check(compileRecipe(withCorpusSize(job.recipe, 1), rules.compile));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const given = err instanceof DistilleryError ? err.hint : undefined;
        const hint = job.augmentModels || !given ? given : `name the model in the job's augmentModels, or ${given}`;
        throw new HttpProblem(422, `field /recipe: ${message}`, {
          errors: [{ pointer: '/recipe', detail: message }],
          ...(hint ? { hint } : {}),
        });
      }
    }
    return job;
  };
}

export function validateJobRequest(request: unknown, rules: JobRequestRules): JobSpec {
  const job = parseOr422(remoteJobSchema, request);
  if (job.export.length > 0) {
    throw new HttpProblem(422, 'field /export: export targets write server paths and are not accepted over HTTP', {
      errors: [{ pointer: '/export', detail: 'must be empty' }],
      hint: 'download the result with GET /v1/datasets/{id}/export?format=...',
    });
  }
  checkAugmentModels(job, rules.modelsDir);
  const issues = rules.teachers ? sequenceJobIssues(job, rules.teachers) : [];
  if (issues.length > 0) {
    const pointer = (p: string) =>
      `/${p
        .replace(/\[(\d+)\]/g, '.$1')
        .split('.')
        .join('/')}`;
    throw new HttpProblem(422, issues.map((i) => `field ${pointer(i.path)}: ${i.message}`).join('; '), {
      errors: issues.map((i) => ({ pointer: pointer(i.path), detail: i.message })),
    });
  }
  return { ...job, corpus: { ...job.corpus, path: corpusPath(job.corpus.path, rules) } };
}

/** True when `folder` is a plain folder name of an existing folder inside `modelsDir`. */
export function isModelFolder(modelsDir: string, folder: string): boolean {
  const ok = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(folder) && !folder.includes('..');
  const full = path.join(modelsDir, folder);
  return ok && existsSync(full) && statSync(full).isDirectory();
}

/** Model-backed ops load models a request names: only plain folder names inside the models dir. */
function checkAugmentModels(job: JobSpec, modelsDir: string): void {
  const m = job.augmentModels;
  if (!m) return;
  const named: [string, string][] = [];
  if (m.fillMask !== undefined) named.push(['/augmentModels/fillMask', m.fillMask]);
  if (m.generator !== undefined) named.push(['/augmentModels/generator', m.generator]);
  for (const [dir, folder] of Object.entries(m.translation ?? {}))
    named.push([`/augmentModels/translation/${dir}`, folder]);
  for (const [pointer, folder] of named) {
    if (!isModelFolder(modelsDir, folder)) {
      throw new HttpProblem(422, `field ${pointer}: "${folder}" is not a model folder in the models dir`, {
        errors: [{ pointer, detail: 'a folder name inside the configured models dir' }],
        hint: 'requests name models by folder, never by path or hub id',
      });
    }
  }
}

/**
 * A relative path inside one of the corpora folders; never absolute, never climbing out; a regular file
 * (no device, FIFO or socket) under the size cap, and never one of the store's own files.
 */
function corpusPath(p: string, rules: JobRequestRules): string {
  const corporaDirs = rules.corporaDirs;
  const bad = (detail: string): never => {
    throw new HttpProblem(422, `field /corpus/path: ${detail}`, {
      errors: [{ pointer: '/corpus/path', detail }],
      hint: 'name a corpus relative to the corpora folders, e.g. "sst2/dev.jsonl"',
    });
  };
  if (isS3Url(p)) return s3CorpusUrl(p, rules.s3Corpora ?? []);
  if (path.isAbsolute(p) || p.includes('\\') || p.includes('\0')) bad('must be a relative path');
  if (p.length > 512) bad('must be at most 512 characters');
  const norm = path.posix.normalize(p);
  if (norm.startsWith('..') || norm.split('/').includes('..')) bad('must not leave the corpora folders');
  for (const dir of corporaDirs) {
    const full = path.resolve(dir, norm);
    if (!full.startsWith(path.resolve(dir) + path.sep)) continue;
    let st;
    try {
      st = statSync(full, { throwIfNoEntry: false });
    } catch {
      // ENOTDIR, ENAMETOOLONG, EACCES: not a corpus here, said as "not found" like any other miss
      continue;
    }
    if (!st) continue;
    if (!st.isFile()) bad('must be a regular file');
    const real = realpathSync(full);
    if ((rules.protectedFiles ?? []).some((f) => existsSync(f) && realpathSync(f) === real))
      bad("is one of the server's own store files, not a corpus");
    if (rules.maxCorpusBytes !== undefined && st.size > rules.maxCorpusBytes)
      bad(`is over the ${rules.maxCorpusBytes} byte limit for a corpus (limits.maxCorpusBytes)`);
    return full;
  }
  throw new HttpProblem(404, `field /corpus/path: no corpus "${p}" in the corpora folders`, {
    errors: [{ pointer: '/corpus/path', detail: 'not found' }],
  });
}

/**
 * An s3:// corpus only under a prefix the config lists (s3.httpCorpora): the server's credentials must not
 * read whatever a request names. No `.` / `..` segment or empty one, which an endpoint might normalize away.
 */
function s3CorpusUrl(url: string, allowed: readonly string[]): string {
  const key = url.slice('s3://'.length);
  const segments = key.split('/');
  const under = allowed.some((prefix) => url.startsWith(`${prefix.replace(/\/+$/, '')}/`));
  if (!under || segments.some((s) => s === '' || s === '.' || s === '..') || url.length > 1024 || url.includes('\0')) {
    const detail =
      allowed.length === 0
        ? 's3:// corpora are not accepted over HTTP on this server'
        : `s3:// corpora must be under ${allowed.join(' or ')}`;
    throw new HttpProblem(422, `field /corpus/path: ${detail}`, {
      errors: [{ pointer: '/corpus/path', detail }],
      hint:
        allowed.length === 0
          ? 'name a corpus relative to the corpora folders, or ask the operator to list the prefix in s3.httpCorpora'
          : 'name an object under one of those prefixes',
    });
  }
  parseS3Url(url, 'object');
  return url;
}
