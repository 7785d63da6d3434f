/**
 * `s3://bucket/key` URLs: a corpus object, or a prefix that holds a job's parts. Parsed here once, so every
 * caller agrees on what the bucket and the key are.
 */
import { DistilleryError } from '../core/errors.ts';

export interface S3Location {
  bucket: string;
  /** the object key, or a prefix without its trailing slash ('' for the bucket's root) */
  key: string;
}

export const isS3Url = (s: string): boolean => s.startsWith('s3://');

/** Bucket names as S3 allows them (3-63 characters: lower-case letters, digits, dots and hyphens). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Url(url: string, what: 'object' | 'prefix'): S3Location {
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = (slash < 0 ? '' : rest.slice(slash + 1)).replace(/\/+$/, '');
  if (!isS3Url(url) || !BUCKET.test(bucket))
    throw new DistilleryError(
      'INVALID_INPUT',
      `${url} is not an s3://BUCKET/${what === 'object' ? 'KEY' : 'PREFIX'} URL`,
      {
        hint: 'a bucket name is 3-63 lower-case letters, digits, dots or hyphens, e.g. s3://my-bucket/corpora/train.jsonl',
      },
    );
  if (what === 'object' && key === '')
    throw new DistilleryError('INVALID_INPUT', `${url} names a bucket, not an object`, {
      hint: 'name the corpus object: s3://BUCKET/path/to/corpus.jsonl',
    });
  return { bucket, key };
}

/** The URL of `name` under a prefix URL. */
export const s3Child = (prefixUrl: string, name: string): string => `${prefixUrl.replace(/\/+$/, '')}/${name}`;
